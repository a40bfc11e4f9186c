import { passwordWork } from '@studio/db/password';
import { z } from 'zod';
import type { Principal, UserPrincipal } from '../services/authorization';
import { forbidden } from '../services/denials';
import { RateLimitedError, ServiceError } from '../services/errors';
import { OidcService, OidcSignInError } from '../services/oidc';
import { isSafeReturnPath, RETURN_PATH_MAX_LENGTH } from '../services/return-path';
import { publicSessionId, SignInRefusedError } from '../services/sessions';
import { authedProcedure, publicProcedure, router } from '../trpc';

const credentials = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
});

const returnPath = z
  .string()
  .max(RETURN_PATH_MAX_LENGTH)
  .refine(isSafeReturnPath, { message: 'must be a path on this site: one leading /, printable ASCII, no backslash' });

/**
 * Password checks wait in one bounded queue (@studio/db/password). When it is this long already,
 * a new sign-in is refused at once rather than waiting seconds behind a burst.
 */
const SIGN_IN_QUEUE_LIMIT = 64;

function shedPasswordWork(): void {
  if (passwordWork.waiting >= SIGN_IN_QUEUE_LIMIT) throw new RateLimitedError('signInQueue', 1, SIGN_IN_QUEUE_LIMIT);
}

function requireSession(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') throw forbidden('session.manage', 'session_required');
  return principal;
}

export const authRouter = router({
  /**
   * Every attempt is audited, success or not, with the reason of a refusal (never the password).
   * The caller hears only "invalid username or password", whatever the reason was.
   */
  signIn: publicProcedure.input(credentials).mutation(async ({ ctx, input }) => {
    const subject = { kind: 'anonymous' as const, id: `${input.username.toLowerCase()}@${ctx.requestMeta.ip ?? 'unknown'}` };
    const attempt = { action: 'auth.signIn', target: { type: 'user' }, ip: ctx.requestMeta.ip, userAgent: ctx.requestMeta.userAgent } as const;
    try {
      await ctx.rateLimits.consume('signInIp', { kind: 'anonymous', id: ctx.requestMeta.ip ?? 'unknown' });
      await ctx.rateLimits.consume('signIn', subject);
      shedPasswordWork();
      const { mustChangePassword, ...user } = await ctx.sessions.verifyCredentials(input.username, input.password);
      // The password was checked above, outside the transaction; the session and its audit row
      // commit together, and the cookie is issued only once they have.
      const session = await ctx.atomically(async () => {
        const session = await ctx.sessions.create(user.id, ctx.requestMeta);
        await ctx.audit.record({
          ...attempt,
          actor: { userId: user.id, username: user.username },
          target: { type: 'user', id: user.id },
          outcome: 'success',
          details: { method: 'password' },
        });
        return session;
      });
      ctx.sessionCookies.issue(session.id);
      return { user, expiresAt: session.expiresAt, mustChangePassword };
    } catch (error) {
      const reason = error instanceof SignInRefusedError ? error.reason : error instanceof RateLimitedError ? 'rate_limited' : null;
      if (reason) await ctx.audit.record({ ...attempt, actor: { username: input.username }, outcome: 'failure', details: { method: 'password', reason } });
      throw error;
    }
  }),

  signOut: authedProcedure.meta({ passwordChangePending: 'allow' }).mutation(async ({ ctx }) => {
    const principal = requireSession(ctx.principal);
    await ctx.atomically(async () => {
      if (principal.sessionId) await ctx.sessions.invalidate(principal.sessionId);
      await ctx.recordAudit({ action: 'auth.signOut', target: { type: 'user', id: principal.userId }, outcome: 'success' });
    });
    ctx.sessionCookies.clear();
    return { signedOut: true as const };
  }),

  me: authedProcedure.meta({ passwordChangePending: 'allow' }).query(({ ctx }) => {
    const p = ctx.principal;
    return p.kind === 'user'
      ? { kind: 'user' as const, user: { id: p.userId, username: p.username, displayName: p.displayName } }
      : { kind: 'token' as const, token: { id: p.tokenId, name: p.name, prefix: p.prefix, workspaceId: p.workspaceId, role: p.role } };
  }),

  sessions: authedProcedure.query(async ({ ctx }) => {
    const principal = requireSession(ctx.principal);
    return ctx.sessions.listForUser(principal.userId, principal.sessionId);
  }),

  revokeSession: authedProcedure.input(z.object({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
    const principal = requireSession(ctx.principal);
    await ctx.atomically(async () => {
      await ctx.sessions.revokeForUser(principal.userId, input.id);
      await ctx.recordAudit({ action: 'auth.revokeSession', target: { type: 'session', id: input.id }, outcome: 'success' });
    });
    if (principal.sessionId && publicSessionId(principal.sessionId) === input.id) ctx.sessionCookies.clear();
    return { revoked: true as const };
  }),

  revokeOtherSessions: authedProcedure.mutation(async ({ ctx }) => {
    const principal = requireSession(ctx.principal);
    return ctx.atomically(async () => {
      const revoked = await ctx.sessions.revokeOthersForUser(principal.userId, principal.sessionId);
      await ctx.recordAudit({ action: 'auth.revokeOtherSessions', target: { type: 'user', id: principal.userId }, outcome: 'success', details: { revoked } });
      return { revoked };
    });
  }),

  /** Whether "Sign in with …" is offered, and its label. */
  oidcConfig: publicProcedure.query(({ ctx }) => ctx.oidc.publicConfig()),

  /**
   * Begins an OpenID Connect sign-in: answers the provider URL to send the browser to and sets the
   * `studio_oidc` cookie (HttpOnly, 10 minutes) that binds the attempt to this browser.
   */
  oidcStart: publicProcedure.input(z.object({ returnTo: returnPath.optional() }).optional()).mutation(async ({ ctx, input }) => {
    const { authorizationUrl, sealedState } = await ctx.oidc.start(input?.returnTo ?? '/');
    ctx.sessionCookies.setCookieHeaders.push(ctx.oidc.stateCookie(sealedState));
    return { authorizationUrl };
  }),

  /**
   * Finishes it with the URL the provider redirected the browser to (absolute, or path and query):
   * signs the user in like `signIn` and answers where to go next. The state cookie is spent either way.
   */
  oidcCallback: publicProcedure.input(z.object({ callbackUrl: z.string().min(1).max(8_192) })).mutation(async ({ ctx, input }) => {
    const sealed = OidcService.stateFromCookies(ctx.requestCookies);
    if (ctx.oidc.enabled) ctx.sessionCookies.setCookieHeaders.push(ctx.oidc.stateCookie(null));
    // Known once the provider has answered: a refusal after that (a deactivated person) names them.
    let known: { id: string; username: string } | undefined;
    try {
      const signIn = await ctx.oidc.finish(input.callbackUrl, sealed);
      known = signIn.user;
      const session = await ctx.atomically(async () => {
        const session = await ctx.sessions.create(signIn.user.id, ctx.requestMeta);
        await ctx.audit.record({
          actor: { userId: signIn.user.id, username: signIn.user.username },
          action: 'auth.signIn',
          target: { type: 'user', id: signIn.user.id },
          outcome: 'success',
          details: { method: 'oidc', issuer: ctx.oidc.issuer, linkedBy: signIn.linkedBy },
          ip: ctx.requestMeta.ip,
          userAgent: ctx.requestMeta.userAgent,
        });
        return session;
      });
      ctx.sessionCookies.issue(session.id);
      return { user: signIn.user, expiresAt: session.expiresAt, returnTo: signIn.returnTo, linkedBy: signIn.linkedBy };
    } catch (error) {
      if (error instanceof ServiceError) {
        await ctx.audit.record({
          actor: known ? { userId: known.id, username: known.username } : error instanceof OidcSignInError && error.email ? { username: error.email } : null,
          action: 'auth.signIn',
          target: known ? { type: 'user', id: known.id } : { type: 'user' },
          outcome: 'failure',
          details: {
            method: 'oidc',
            issuer: ctx.oidc.issuer,
            reason: error instanceof SignInRefusedError ? error.reason : typeof error.details.reason === 'string' ? error.details.reason : error.code,
          },
          ip: ctx.requestMeta.ip,
          userAgent: ctx.requestMeta.userAgent,
        });
      }
      throw error;
    }
  }),
});
