// "Sign in with Google" (or any OpenID Connect issuer): authorization code flow with PKCE, state and
// nonce through openid-client. The browser-bound part of the flow (state, nonce, PKCE verifier,
// where to return) travels in a short-lived HttpOnly cookie sealed with the credential key ring, so
// any API instance can finish a sign-in another one started and nothing is kept server-side.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { StudioDatabase } from '@studio/db';
import { roles, users } from '@studio/db/schema';
import { and, eq, isNull, sql } from 'drizzle-orm';
import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { KeyRing } from './crypto';
import { KeyRingError } from './crypto';
import { expectRow, InvariantError, ServiceError, ServiceUnavailableError } from './errors';
import { safeReturnPath } from './return-path';
import type { SessionUser } from './sessions';

export const OIDC_STATE_COOKIE = 'studio_oidc';
/** How long a started sign-in may take at the provider (login, consent, 2FA). */
export const OIDC_STATE_TTL_SECONDS = 600;
const STATE_CONTEXT = 'oidc:login-state';
const DISCOVERY_TIMEOUT_SECONDS = 10;
/** Role of users created by their first OIDC sign-in (seed 003 creates it). */
const NEW_USER_ROLE = 'User';

export interface OidcConfig {
  issuer: URL;
  clientId: string;
  /** Unset: a public client (PKCE only, no client authentication). */
  clientSecret?: string | undefined;
  redirectUri: URL;
  /** Text of the sign-in button. */
  label: string;
}

/** Loopback hosts: the only place an issuer may be reached over plain http (a local test provider). */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}


export type OidcFailureReason =
  | 'oidc_disabled'
  | 'state_missing'
  | 'state_expired'
  | 'provider_rejected'
  | 'callback_invalid'
  | 'email_missing'
  | 'email_not_verified'
  | 'email_ambiguous'
  | 'email_linked_elsewhere';

/**
 * The query of the URL the provider redirected to. An unparseable one is refused by reason only:
 * Node's URL error carries the input, which holds the authorization code.
 */
function callbackQuery(callbackUrl: string, base: URL): string {
  try {
    return new URL(callbackUrl, base).search;
  } catch {
    throw new OidcSignInError('callback_invalid', 'The sign-in callback address is not a valid URL; start again');
  }
}

/** A refused sign-in. `email` (when known) is for the audit row only; the caller sees `message`. */
export class OidcSignInError extends ServiceError {
  constructor(
    readonly reason: OidcFailureReason,
    message: string,
    readonly email: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(reason === 'oidc_disabled' ? 'precondition_failed' : 'authentication_failed', message, { reason }, options);
    this.name = 'OidcSignInError';
  }
}

interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** Epoch ms after which the attempt is refused. */
  expiresAt: number;
}

export interface OidcSignIn {
  user: SessionUser;
  /** How the account was found: by the issuer's subject, by verified email (now linked), or newly created. */
  linkedBy: 'subject' | 'email' | 'created';
  returnTo: string;
  email: string;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export class OidcService {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly db: StudioDatabase,
    private readonly keyRing: KeyRing,
    private readonly config: OidcConfig | null,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.config !== null;
  }

  publicConfig(): { enabled: boolean; label: string | null } {
    return { enabled: this.config !== null, label: this.config?.label ?? null };
  }

  get issuer(): string | null {
    return this.config?.issuer.href ?? null;
  }

  #require(): OidcConfig {
    if (!this.config) throw new OidcSignInError('oidc_disabled', 'Single sign-on is not configured on this server');
    return this.config;
  }

  /** Discovery once per process; a failure is not cached, so the next attempt tries again. */
  async #configurationOf(config: OidcConfig): Promise<client.Configuration> {
    this.#configuration ??= client
      .discovery(
        config.issuer,
        config.clientId,
        undefined,
        config.clientSecret === undefined ? client.None() : client.ClientSecretPost(config.clientSecret),
        {
          timeout: DISCOVERY_TIMEOUT_SECONDS,
          // openid-client refuses plain http; a provider on loopback (a developer's or a test's)
          // never crosses a network, so only then is http allowed. env.ts refuses any other http issuer.
          execute: config.issuer.protocol === 'http:' && isLoopbackUrl(config.issuer) ? [client.allowInsecureRequests] : [],
        },
      )
      .catch((error: unknown) => {
        this.#configuration = undefined;
        this.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, issuer: config.issuer.href }, 'OIDC discovery failed');
        throw new ServiceUnavailableError('The sign-in provider cannot be reached; try again shortly', { reason: 'oidc_discovery_failed' });
      });
    return this.#configuration;
  }

  /**
   * Begins a sign-in: the provider URL to send the browser to, and the sealed state for the
   * `studio_oidc` cookie (see `stateCookie`).
   */
  async start(returnTo: string): Promise<{ authorizationUrl: string; sealedState: string }> {
    const config = this.#require();
    const configuration = await this.#configurationOf(config);
    const login: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnPath(returnTo),
      expiresAt: Date.now() + OIDC_STATE_TTL_SECONDS * 1000,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: config.redirectUri.href,
      scope: 'openid email profile',
      response_type: 'code',
      state: login.state,
      nonce: login.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(login.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, sealedState: this.keyRing.encrypt(JSON.stringify(login), STATE_CONTEXT).ciphertext };
  }

  /** Set-Cookie for the state (`sealed`), or the one that deletes it (`null`). */
  stateCookie(sealed: string | null): string {
    const config = this.#require();
    // The callback lands on the redirect URI; over https the cookie must never travel in the clear.
    const secure = config.redirectUri.protocol === 'https:' ? '; Secure' : '';
    // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation.
    const lifetime = sealed === null ? 'Max-Age=0' : `Max-Age=${OIDC_STATE_TTL_SECONDS}`;
    return `${OIDC_STATE_COOKIE}=${sealed ?? ''}; Path=/; ${lifetime}; HttpOnly; SameSite=Lax${secure}`;
  }

  /** The sealed state from a request's Cookie header. */
  static stateFromCookies(cookieHeader: string | undefined): string | undefined {
    const value = cookieValue(cookieHeader, OIDC_STATE_COOKIE);
    return value === '' ? undefined : value;
  }

  #openState(sealed: string | undefined): LoginState {
    if (!sealed) {
      throw new OidcSignInError('state_missing', 'This sign-in was not started in this browser, or it was already used; start again');
    }
    let login: LoginState;
    try {
      login = JSON.parse(this.keyRing.decrypt(sealed, STATE_CONTEXT)) as LoginState;
    } catch (error) {
      if (!(error instanceof KeyRingError) && !(error instanceof SyntaxError)) throw error;
      throw new OidcSignInError('state_missing', 'This sign-in was not started in this browser, or it was already used; start again');
    }
    if (login.expiresAt < Date.now()) throw new OidcSignInError('state_expired', 'This sign-in took too long; start again');
    return login;
  }

  /**
   * Completes a sign-in from the URL the provider redirected the browser to (absolute, or only its
   * path and query): checks state, PKCE and the ID token's nonce, then finds or creates the user.
   */
  async finish(callbackUrl: string, sealedState: string | undefined): Promise<OidcSignIn> {
    const config = this.#require();
    const login = this.#openState(sealedState);
    const configuration = await this.#configurationOf(config);
    // Only the query matters; rebuilding on the configured redirect URI means a proxy that rewrote
    // the host the web layer saw cannot change the redirect_uri sent to the token endpoint.
    const current = new URL(config.redirectUri.href);
    current.search = callbackQuery(callbackUrl, config.redirectUri);

    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new InvariantError('ID token missing after idTokenExpected');
      claims = { ...idToken };
      if (typeof claims.email !== 'string' || claims.email_verified === undefined) {
        // Providers that follow the spec strictly put scope claims in UserInfo only.
        const info = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        claims = { ...info, ...claims, email: info.email ?? claims.email, email_verified: info.email_verified ?? claims.email_verified };
      }
    } catch (error) {
      if (error instanceof InvariantError) throw error;
      // Messages from openid-client name the failed check (state, nonce, signature); no token values.
      this.logger.warn(
        { err: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code } },
        'OIDC callback rejected',
      );
      throw new OidcSignInError('provider_rejected', 'The sign-in could not be verified with the provider; start again', null, { cause: error });
    }

    const subject = String(claims.sub);
    const email = typeof claims.email === 'string' ? claims.email.trim() : '';
    if (!email) throw new OidcSignInError('email_missing', 'The provider did not share an email address for this account');
    // Google sends a boolean; some providers send the string "true".
    if (claims.email_verified !== true && claims.email_verified !== 'true') {
      throw new OidcSignInError('email_not_verified', `The email address ${email} is not verified with the provider; verify it there, then sign in again`, email);
    }
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 128) : null;
    const { user, linkedBy } = await this.#findOrCreateUser(subject, email, name);
    return { user, linkedBy, returnTo: login.returnTo, email };
  }

  async #findOrCreateUser(subject: string, email: string, displayName: string | null): Promise<{ user: SessionUser; linkedBy: OidcSignIn['linkedBy'] }> {
    const columns = { id: users.id, username: users.username, displayName: users.displayName };
    return this.db.transaction(async (tx) => {
      const [bySubject] = await tx.select(columns).from(users).where(eq(users.googleSubject, subject));
      if (bySubject) {
        await tx.update(users).set({ googleEmail: email }).where(eq(users.id, bySubject.id));
        return { user: bySubject, linkedBy: 'subject' as const };
      }

      const byEmail = await tx
        .select({ ...columns, googleSubject: users.googleSubject })
        .from(users)
        .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
        .limit(2);
      if (byEmail.length > 1) {
        throw new OidcSignInError('email_ambiguous', `More than one account uses ${email}; an administrator must resolve it before single sign-on can link it`, email);
      }
      const [match] = byEmail;
      if (match) {
        if (match.googleSubject !== null) {
          throw new OidcSignInError('email_linked_elsewhere', `The account for ${email} is already linked to another sign-in identity`, email);
        }
        const [linked] = await tx
          .update(users)
          .set({ googleSubject: subject, googleEmail: email })
          .where(and(eq(users.id, match.id), isNull(users.googleSubject)))
          .returning(columns);
        return { user: expectRow(linked, 'oidc link'), linkedBy: 'email' as const };
      }

      const [role] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.name, NEW_USER_ROLE));
      if (!role) throw new InvariantError(`role ${NEW_USER_ROLE} is missing (run the seed)`);
      const base = usernameFrom(email);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const username = attempt === 0 ? base : `${base.slice(0, 55)}-${randomBytes(3).toString('hex')}`;
        // DO NOTHING keeps the transaction usable when the name (or, in a race, the subject) is taken.
        const [created] = await tx
          .insert(users)
          .values({ username, displayName, email, googleSubject: subject, googleEmail: email, roleId: role.id })
          .onConflictDoNothing()
          .returning(columns);
        if (created) return { user: created, linkedBy: 'created' as const };
        const [raced] = await tx.select(columns).from(users).where(eq(users.googleSubject, subject));
        if (raced) return { user: raced, linkedBy: 'subject' as const };
      }
      throw new InvariantError('could not find a free username for a new OIDC user');
    });
  }
}

/** `Jane.Doe+x@example.com` → `jane.doe_x`: a readable, valid username from the email's local part. */
function usernameFrom(email: string): string {
  const local = email.split('@')[0] ?? '';
  const cleaned = local.toLowerCase().replace(/[^a-z0-9._-]+/g, '_').replace(/^[._-]+|[._-]+$/g, '').slice(0, 48);
  return cleaned || 'user';
}

/**
 * The OIDC settings of the process from its environment, or null when OIDC_CLIENT_ID is unset.
 * `appUrl` is where this process listens, for the default redirect URI.
 */
export function oidcConfigFromEnv(
  env: { OIDC_ISSUER: string; OIDC_CLIENT_ID?: string | undefined; OIDC_CLIENT_SECRET?: string | undefined; OIDC_REDIRECT_URI?: string | undefined; OIDC_BUTTON_LABEL?: string | undefined },
  appUrl: string,
): OidcConfig | null {
  if (env.OIDC_CLIENT_ID === undefined) return null;
  const issuer = new URL(env.OIDC_ISSUER);
  return {
    issuer,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    redirectUri: new URL(env.OIDC_REDIRECT_URI ?? new URL('/auth/oidc/callback', appUrl).href),
    label: env.OIDC_BUTTON_LABEL ?? (issuer.hostname === 'accounts.google.com' ? 'Sign in with Google' : 'Sign in with single sign-on'),
  };
}
