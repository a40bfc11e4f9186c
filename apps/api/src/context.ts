// Request context. `createContextInner` is pure (tests build it directly with a principal);
// `createHttpContextFactory` is the adapter-bound part: it reads the lucia session cookie or the
// bearer token, the client address and user agent, and collects cookies to set on the response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { NodeHTTPCreateContextFnOptions } from '@trpc/server/adapters/node-http';
import { verifyRequestOrigin } from 'lucia';
import { unauthenticated } from './errors';
import { clientAddressOf, peerIsTrusted, trustFunctionOf, type TrustFunction, type TrustProxy } from './trust-proxy';
import type { AuditEvent } from './services/audit';
import { atomically } from './services/unit-of-work';
import { auditActorOf, Authorizer, type Principal, type RequestMeta, type UserPrincipal } from './services/authorization';
import type { AppServices } from './services/index';
import type { StudioLucia } from './services/sessions';
import type { ImportUpload } from './services/imports/service';

/**
 * Session cookies to send with the response. The HTTP layer serialises them (secure when the
 * request came over TLS); tests read `issued` to learn the session a sign-in created.
 */
export class SessionCookies {
  readonly setCookieHeaders: string[] = [];
  /** The last session id issued; null after a clear; undefined when untouched. */
  issued: string | null | undefined;

  constructor(
    private readonly lucia: StudioLucia,
    private readonly secure: boolean,
  ) {}

  issue(sessionId: string): void {
    const cookie = this.lucia.createSessionCookie(sessionId);
    cookie.attributes.secure = this.secure;
    this.setCookieHeaders.push(cookie.serialize());
    this.issued = sessionId;
  }

  clear(): void {
    const cookie = this.lucia.createBlankSessionCookie();
    cookie.attributes.secure = this.secure;
    this.setCookieHeaders.push(cookie.serialize());
    this.issued = null;
  }
}

export interface ContextInnerOptions extends AppServices {
  principal: Principal | null;
  requestMeta: RequestMeta;
  sessionCookies?: SessionCookies;
  /** The request's Cookie header (the OIDC sign-in reads its state cookie from it). */
  requestCookies?: string | undefined;
  /** `web`: a page of the web UI, whose page-load reads have their own rate-limit budget. */
  surface?: 'api' | 'web';
  /** The file of an upload route (REST streams the request body here); absent elsewhere. */
  upload?: ImportUpload | undefined;
}

export function createContextInner(options: ContextInnerOptions) {
  const { principal, requestMeta } = options;
  const audit = options.audit;
  return {
    ...options,
    /** Counts this request's calls and keeps the decision the HTTP layer reports in RateLimit-* headers. */
    rateLimits: options.rateLimits.forRequest(options.surface),
    sessionCookies: options.sessionCookies ?? new SessionCookies(options.sessions.lucia, false),
    authorizer: new Authorizer(audit, principal, requestMeta),
    /**
     * Runs a system-database change and its audit row in one transaction: the caller is answered
     * only once both committed. Keep workspace-database calls and password hashing outside.
     */
    atomically: <T>(work: () => Promise<T>) => atomically(options.db, work),
    /** Records an audit row for this request's principal, ip and user agent. */
    recordAudit: (event: Omit<AuditEvent, 'actor' | 'ip' | 'userAgent'>) =>
      audit.record({ ...event, actor: auditActorOf(principal), ip: requestMeta.ip, userAgent: requestMeta.userAgent }),
    /**
     * The audit row of something done outside the system database (a procedure run): resolves once
     * committed, rejects when it cannot be written; concurrent calls share one INSERT.
     */
    commitAudit: (event: Omit<AuditEvent, 'actor' | 'ip' | 'userAgent'>) =>
      audit.commit({ ...event, actor: auditActorOf(principal), ip: requestMeta.ip, userAgent: requestMeta.userAgent }),
  };
}

export type Context = ReturnType<typeof createContextInner>;

export interface HttpContextOptions {
  /** Which proxies' X-Forwarded-For / X-Forwarded-Proto to believe (TRUST_PROXY). */
  trustProxy: TrustProxy;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Client address, user agent and whether the client used TLS. The address is read from the right of
 * X-Forwarded-For past the trusted proxies; the scheme is believed from the nearest proxy only.
 */
export function requestMetaOf(req: IncomingMessage, trust: TrustFunction): RequestMeta & { tls: boolean } {
  const forwardedProto = peerIsTrusted(req, trust) ? firstHeader(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim() : undefined;
  return {
    ip: clientAddressOf(req, trust),
    userAgent: firstHeader(req.headers['user-agent']) ?? null,
    tls: forwardedProto === 'https' || Boolean((req.socket as Partial<TLSSocket>).encrypted),
  };
}

/**
 * Cookie-authenticated writes must come from our own origin (SameSite=Lax already blocks most
 * cross-site posts; this closes the rest). Requests without an Origin header (non-browser) pass.
 */
export function isSameOriginRequest(request: Pick<SessionRequest, 'method' | 'origin' | 'host'>): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return true;
  if (!request.origin) return true;
  return request.host !== undefined && verifyRequestOrigin(request.origin, [request.host]);
}

/** What session authentication needs of a request, whichever HTTP layer received it. */
export interface SessionRequest {
  method: string | undefined;
  cookie: string | undefined;
  origin: string | undefined;
  host: string | undefined;
}

/**
 * The signed-in user of a cookie-authenticated request, or null (no cookie, expired or revoked
 * session, or a write from another origin). Refreshes or clears the cookie through `sessionCookies`.
 * Shared by the tRPC adapter and the web UI's server-side caller, so both trust cookies alike.
 */
export async function authenticateSession(services: AppServices, request: SessionRequest, sessionCookies: SessionCookies): Promise<UserPrincipal | null> {
  const sessionId = services.sessions.lucia.readSessionCookie(request.cookie ?? '');
  if (!sessionId) return null;
  const trusted = isSameOriginRequest(request);
  const result = trusted ? await services.sessions.validate(sessionId) : null;
  if (!result) {
    // Expired or revoked: tell the browser to drop it.
    if (trusted) sessionCookies.clear();
    return null;
  }
  if (result.session.fresh) sessionCookies.issue(result.session.id);
  return {
    kind: 'user',
    userId: result.user.id,
    username: result.user.username,
    displayName: result.user.displayName,
    sessionId: result.session.id,
    mustChangePassword: result.user.mustChangePassword,
  };
}

export function createHttpContextFactory(services: AppServices, options: HttpContextOptions) {
  const trust = trustFunctionOf(options.trustProxy);
  return async function createContext({ req }: NodeHTTPCreateContextFnOptions<IncomingMessage, ServerResponse>): Promise<Context> {
    const meta = requestMetaOf(req, trust);
    const requestMeta: RequestMeta = { ip: meta.ip, userAgent: meta.userAgent };
    const sessionCookies = new SessionCookies(services.sessions.lucia, meta.tls);
    const authorization = firstHeader(req.headers.authorization);
    let principal: Principal | null = null;

    if (authorization !== undefined) {
      const bearer = services.sessions.lucia.readBearerToken(authorization);
      const token = bearer ? await services.tokens.authenticate(bearer) : null;
      // A presented but bad credential is an error, never a silent downgrade to anonymous.
      if (!token) throw unauthenticated('The API token is invalid, expired or revoked');
      principal = token;
    } else {
      principal = await authenticateSession(
        services,
        { method: req.method, cookie: req.headers.cookie, origin: firstHeader(req.headers.origin), host: firstHeader(req.headers.host) },
        sessionCookies,
      );
    }
    return createContextInner({ ...services, principal, requestMeta, sessionCookies, requestCookies: req.headers.cookie });
  };
}
