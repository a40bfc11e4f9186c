import { z } from 'zod';
import type { Principal, UserPrincipal } from '../services/authorization';
import { ServiceError } from '../services/errors';
import { publicSessionId } from '../services/sessions';
import { authedProcedure, publicProcedure, router } from '../trpc';

const credentials = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
});

function requireSession(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') throw new ServiceError('forbidden', 'This needs a signed-in user, not an API token', { reason: 'session_required' });
  return principal;
}

export const authRouter = router({
  signIn: publicProcedure.input(credentials).mutation(async ({ ctx, input }) => {
    const subject = { kind: 'anonymous' as const, id: `${input.username.toLowerCase()}@${ctx.requestMeta.ip ?? 'unknown'}` };
    await ctx.rateLimits.consume('signIn', subject);
    try {
      const user = await ctx.sessions.verifyCredentials(input.username, input.password);
      const session = await ctx.sessions.create(user.id);
      ctx.sessionCookies.issue(session.id);
      await ctx.audit.record({
        actor: { userId: user.id, username: user.username },
        action: 'auth.signIn',
        target: { type: 'user', id: user.id },
        outcome: 'success',
        ip: ctx.requestMeta.ip,
        userAgent: ctx.requestMeta.userAgent,
      });
      return { user, expiresAt: session.expiresAt };
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'authentication_failed') {
        await ctx.audit.record({
          actor: { username: input.username },
          action: 'auth.signIn',
          target: { type: 'user' },
          outcome: 'failure',
          details: { reason: 'invalid_credentials' },
          ip: ctx.requestMeta.ip,
          userAgent: ctx.requestMeta.userAgent,
        });
      }
      throw error;
    }
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    const principal = requireSession(ctx.principal);
    if (principal.sessionId) await ctx.sessions.invalidate(principal.sessionId);
    ctx.sessionCookies.clear();
    await ctx.recordAudit({ action: 'auth.signOut', target: { type: 'user', id: principal.userId }, outcome: 'success' });
    return { signedOut: true as const };
  }),

  me: authedProcedure.query(({ ctx }) => {
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
    await ctx.sessions.revokeForUser(principal.userId, input.id);
    if (principal.sessionId && publicSessionId(principal.sessionId) === input.id) ctx.sessionCookies.clear();
    await ctx.recordAudit({ action: 'auth.revokeSession', target: { type: 'session', id: input.id }, outcome: 'success' });
    return { revoked: true as const };
  }),
});
