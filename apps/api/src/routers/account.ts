// A person's own account (their password, name and sessions) and the public end of invite/reset
// links. All of it is for people: an API token can neither read nor change an account.
import { z } from 'zod';
import { timestamp } from './_outputs';
import { rateLimitSubjectOf } from '../services/authorization';
import { PASSWORD_MAX_LENGTH } from '../services/password-policy';
import { publicSessionId, storedSessionId } from '../services/sessions';
import { personProcedure, publicProcedure, router } from '../trpc';

const tags = ['account'];

const sessionOutput = z.object({
  id: z.string().meta({ description: 'Public id of the session (never the session secret)' }),
  device: z.string().nullable().meta({ description: 'Browser and system read from the user agent' }),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: timestamp,
  lastUsedAt: timestamp,
  expiresAt: timestamp,
  current: z.boolean(),
});

const accountOutput = z.object({
  id: z.uuid(),
  username: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  systemRole: z.string(),
  signIn: z.enum(['password', 'oidc', 'both', 'none']),
  hasPassword: z.boolean(),
  mustChangePassword: z.boolean(),
});

const linkToken = z.string().min(1).max(128);

export const accountRouter = router({
  get: personProcedure
    .meta({ passwordChangePending: 'allow', openapi: { method: 'GET', path: '/api/v1/me', tags, summary: 'My account: name, system role, how I sign in' } })
    .input(z.object({}).optional())
    .output(accountOutput)
    .query(async ({ ctx }) => {
      const person = await ctx.people.get(ctx.principal.userId);
      return { ...person, hasPassword: person.signIn === 'password' || person.signIn === 'both' };
    }),

  update: personProcedure
    .meta({ openapi: { method: 'PATCH', path: '/api/v1/me', tags, summary: 'Change my display name' } })
    .input(z.object({ displayName: z.string().trim().min(1).max(128).nullable() }))
    .output(accountOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.atomically(async () => {
        await ctx.people.setOwnDisplayName(ctx.principal.userId, input.displayName);
        await ctx.recordAudit({ action: 'account.update', target: { type: 'user', id: ctx.principal.userId }, outcome: 'success', details: { changed: ['displayName'] } });
      });
      const person = await ctx.people.get(ctx.principal.userId);
      return { ...person, hasPassword: person.signIn === 'password' || person.signIn === 'both' };
    }),

  /** The current password is required; every other session of mine ends, this one stays. */
  changePassword: personProcedure
    .meta({ passwordChangePending: 'allow', openapi: { method: 'POST', path: '/api/v1/me/password', tags, summary: 'Change my password (current one required); my other sessions end' } })
    .input(z.object({ currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH), newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH) }))
    .output(z.object({ changed: z.literal(true), endedSessions: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('passwordChange', rateLimitSubjectOf(ctx.principal));
      const keep = ctx.principal.sessionId === undefined ? undefined : storedSessionId(ctx.principal.sessionId);
      try {
        // Verifying and hashing first, outside the transaction; the new password and its audit row commit together.
        const prepared = await ctx.people.prepareOwnPasswordChange(ctx.principal.userId, input);
        const { endedSessions } = await ctx.atomically(async () => {
          const result = await ctx.people.applyOwnPasswordChange(prepared, keep);
          await ctx.recordAudit({ action: 'account.changePassword', target: { type: 'user', id: ctx.principal.userId }, outcome: 'success', details: { endedSessions: result.endedSessions } });
          return result;
        });
        return { changed: true as const, endedSessions };
      } catch (error) {
        await ctx.recordAudit({ action: 'account.changePassword', target: { type: 'user', id: ctx.principal.userId }, outcome: 'failure', details: { reason: reasonOf(error) } });
        throw error;
      }
    }),

  sessions: personProcedure
    .meta({ openapi: { method: 'GET', path: '/api/v1/me/sessions', tags, summary: 'My open sessions' } })
    .input(z.object({}).optional())
    .output(z.object({ items: z.array(sessionOutput) }))
    .query(async ({ ctx }) => ({ items: await ctx.sessions.listForUser(ctx.principal.userId, ctx.principal.sessionId) })),

  revokeSession: personProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/v1/me/sessions/{sessionId}', tags, summary: 'End one of my sessions' } })
    .input(z.object({ sessionId: z.string().min(1).max(64) }))
    .output(z.object({ revoked: z.literal(true), current: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.atomically(async () => {
        await ctx.sessions.revokeForUser(ctx.principal.userId, input.sessionId);
        await ctx.recordAudit({ action: 'auth.revokeSession', target: { type: 'session', id: input.sessionId }, outcome: 'success' });
      });
      const current = ctx.principal.sessionId !== undefined && publicSessionId(ctx.principal.sessionId) === input.sessionId;
      if (current) ctx.sessionCookies.clear();
      return { revoked: true as const, current };
    }),

  /** Who an invite/reset link is for; refused when it is spent, revoked or expired. */
  describeLink: publicProcedure
    .meta({ openapi: { method: 'GET', path: '/api/v1/invites/{token}', tags, summary: 'Who an invite or reset link is for, and until when it is valid' } })
    .input(z.object({ token: linkToken }))
    .output(z.object({ kind: z.enum(['invite', 'reset']), username: z.string(), displayName: z.string().nullable(), expiresAt: timestamp }))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accountLinkUse', { kind: 'anonymous', id: ctx.requestMeta.ip ?? 'unknown' });
      return ctx.people.describeLink(input.token);
    }),

  /** Sets the person's password from an invite/reset link (single use) and ends any session they had. */
  acceptLink: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/api/v1/invites/{token}/accept', tags, summary: 'Set my password with a one-time invite or reset link' } })
    .input(z.object({ token: linkToken, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }))
    .output(z.object({ username: z.string(), kind: z.enum(['invite', 'reset']) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accountLinkUse', { kind: 'anonymous', id: ctx.requestMeta.ip ?? 'unknown' });
      // Checking the link and hashing first, outside the transaction; the spent link, the new password
      // and the audit row commit together (a link whose acceptance cannot be audited stays unused).
      const { passwordHash } = await ctx.people.prepareLink(input.token, input.password);
      const accepted = await ctx.atomically(async () => {
        const accepted = await ctx.people.spendLink(input.token, passwordHash);
        await ctx.audit.record({
          actor: { userId: accepted.userId, username: accepted.username },
          action: accepted.kind === 'invite' ? 'user.acceptInvite' : 'user.acceptReset',
          target: { type: 'user', id: accepted.userId },
          outcome: 'success',
          ip: ctx.requestMeta.ip,
          userAgent: ctx.requestMeta.userAgent,
        });
        return accepted;
      });
      return { username: accepted.username, kind: accepted.kind };
    }),
});

function reasonOf(error: unknown): string {
  if (error && typeof error === 'object' && 'details' in error) {
    const details = (error as { details: Record<string, unknown> }).details;
    if (typeof details.rule === 'string') return details.rule;
    if (typeof details.field === 'string') return `${details.field}_invalid`;
  }
  return 'error';
}
