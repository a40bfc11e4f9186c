// The web UI's only way to the API: the tRPC router called in-process (createCallerFactory), with
// the same context the HTTP adapter builds: the services of the running app, the session from the
// request's cookie (authenticateSession, shared with the API), the client address and user agent.
// Cookies a procedure issues (sign-in, sign-out, session refresh) go back on the Remix response.
import { existsSync } from 'node:fs';
import { json, redirect, type AppLoadContext, type TypedResponse } from '@remix-run/node';
import {
  ApiProblem,
  appRouter,
  authenticateSession,
  createCallerFactory,
  createContextInner,
  httpStatusOf,
  problemOf,
  retryAfterOf,
  returnPathProblem,
  SessionCookies,
  toTRPCError,
  type AppServices,
  type RequestMeta,
  type UserPrincipal,
} from '@studio/api';
import type { Problem } from '@studio/api/problem';

export interface StudioContext {
  services: AppServices;
  requestMeta: RequestMeta & { tls: boolean };
}

declare module '@remix-run/node' {
  interface AppLoadContext {
    studio: StudioContext;
    /** This response's Content-Security-Policy nonce (entry.server.tsx puts it on every inline script). */
    cspNonce?: string;
  }
}

const createCaller = createCallerFactory(appRouter);
export type ApiCaller = ReturnType<typeof createCaller>;

export interface ApiFailure {
  status: number;
  problem: Problem;
}

/** The F10 problem of an error a procedure threw; null for anything that is not an API answer. */
export function apiFailureOf(error: unknown): ApiFailure | null {
  if (!(error instanceof Error) || !(error.cause instanceof ApiProblem)) return null;
  return { status: httpStatusOf(error), problem: error.cause.problem };
}

export type Attempt<T> = { ok: true; value: T } | ({ ok: false } & ApiFailure);

export class Api {
  constructor(
    readonly caller: ApiCaller,
    readonly user: UserPrincipal | null,
    private readonly cookies: SessionCookies,
    private readonly request: Request,
  ) {}

  /** Response headers carrying whatever session cookie the calls so far issued or cleared. */
  headers(init?: HeadersInit): Headers {
    const headers = new Headers(init);
    for (const cookie of this.cookies.setCookieHeaders) headers.append('set-cookie', cookie);
    return headers;
  }

  json<T>(data: T, init: ResponseInit = {}): TypedResponse<T> {
    return json(data, { ...init, headers: this.headers(init.headers) });
  }

  redirect(url: string, init: ResponseInit = {}): TypedResponse<never> {
    return redirect(url, { ...init, headers: this.headers(init.headers) });
  }

  /**
   * For loaders: the call's value, or a thrown Response the error boundaries understand (the F10
   * problem with its status; a lost session, `unauthenticated`, goes to sign-in).
   */
  async load<T>(call: (caller: ApiCaller) => Promise<T>): Promise<T> {
    try {
      return await call(this.caller);
    } catch (error) {
      const failure = apiFailureOf(error);
      if (!failure) throw error;
      if (failure.problem.error === 'unauthenticated') throw this.redirect(signInUrl(this.request));
      if (failure.problem.details.reason === 'password_change_required') throw this.redirect(changePasswordUrl(this.request));
      throw json(failure.problem, { status: failure.status, headers: this.headers(retryAfterHeader(failure)) });
    }
  }

  /** For actions: the value or the F10 problem, so the form can show it next to the user's input. */
  async attempt<T>(call: (caller: ApiCaller) => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await call(this.caller) };
    } catch (error) {
      const failure = apiFailureOf(error);
      if (!failure) throw error;
      // A lost session goes to sign-in; a wrong password (authentication_failed) is the form's answer.
      if (failure.problem.error === 'unauthenticated') throw this.redirect(signInUrl(this.request));
      if (failure.problem.details.reason === 'password_change_required') throw this.redirect(changePasswordUrl(this.request));
      return { ok: false, ...failure };
    }
  }
}

export function signInUrl(request: Request): string {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return back === '/' || url.pathname === '/sign-in' ? '/sign-in' : `/sign-in?redirectTo=${encodeURIComponent(back)}`;
}

/** The forced password change, remembering where the person was going. */
export function changePasswordUrl(request: Request): string {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return back === '/' || url.pathname === '/change-password' ? '/change-password' : `/change-password?redirectTo=${encodeURIComponent(back)}`;
}

/** A 503 says when to try again (the page retries by itself then). */
function retryAfterHeader(failure: ApiFailure): HeadersInit {
  const seconds = failure.problem.details.retryAfterSeconds;
  return failure.status === 503 && typeof seconds === 'number' ? { 'retry-after': String(seconds) } : {};
}

/**
 * Whether the sign-in page shows the first-start hint: only while the seed's file of generated
 * passwords is there (embedded database). The page names its folder by setting, never by path.
 */
export function isFirstStart(context: AppLoadContext): boolean {
  const file = context.studio.services.initialCredentialsFile;
  return file !== null && existsSync(file);
}

/** A caller for this request, signed in or not. */
export async function apiFor(request: Request, context: AppLoadContext): Promise<Api> {
  const { services, requestMeta } = context.studio;
  const cookies = new SessionCookies(services.sessions.lucia, requestMeta.tls || new URL(request.url).protocol === 'https:');
  let user: UserPrincipal | null;
  try {
    user = await authenticateSession(
      services,
      {
        method: request.method,
        cookie: request.headers.get('cookie') ?? undefined,
        origin: request.headers.get('origin') ?? undefined,
        host: request.headers.get('host') ?? undefined,
      },
      cookies,
    );
  } catch (error) {
    // The session lookup is the first thing to meet a system-database outage: the same 503 the API answers.
    const mapped = toTRPCError(error, { logger: services.logger, outages: services.outages });
    if (mapped.code !== 'SERVICE_UNAVAILABLE') throw error;
    const retryAfter = retryAfterOf(mapped);
    throw json(problemOf(mapped), { status: 503, headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) } });
  }
  const ctx = createContextInner({
    ...services,
    principal: user,
    requestMeta: { ip: requestMeta.ip, userAgent: requestMeta.userAgent },
    sessionCookies: cookies,
    // The OIDC callback reads its state cookie from the request.
    requestCookies: request.headers.get('cookie') ?? undefined,
    surface: 'web',
  });
  // The request's signal aborts when the browser goes away: a running SQL execution is then cancelled.
  return new Api(createCaller(ctx, { signal: request.signal }), user, cookies, request);
}

/** A caller for a signed-in user; anyone else is sent to sign-in and brought back afterwards. */
export async function requireUser(request: Request, context: AppLoadContext): Promise<Api & { user: UserPrincipal }> {
  const api = await apiFor(request, context);
  if (!api.user) throw api.redirect(signInUrl(request));
  // A generated or Admin-typed password is replaced before anything else is shown.
  if (api.user.mustChangePassword && new URL(request.url).pathname !== '/change-password') throw api.redirect(changePasswordUrl(request));
  return api as Api & { user: UserPrincipal };
}

/** Only same-site paths: `redirectTo` must never send a signed-in user to another origin (one rule, the API's). */
export { safeReturnPath } from '@studio/api';

/**
 * A form's `redirectTo` that cannot be a path at all (control characters, text no header can
 * carry): the F10 answer naming the field, given before the action does anything.
 */
export function invalidReturnPath(form: FormData): Problem | undefined {
  const message = returnPathProblem(form.get('redirectTo'));
  if (message === undefined) return undefined;
  return { error: 'invalid_input', message: `The return address (redirectTo) ${message}.`, details: { fields: [{ path: 'redirectTo', message }] } };
}
