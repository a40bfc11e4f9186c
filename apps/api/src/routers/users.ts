// People, administered by system Admins: create (typed password or invite link), list and search,
// change system role and profile, issue invite/reset links, deactivate and reactivate. API tokens
// are refused: people operations need a person.
import { z } from 'zod';
import { pageOf, timestamp } from './_outputs';
import { rateLimitSubjectOf } from '../services/authorization';
import { InvalidInputError } from '../services/errors';
import { ACCOUNT_LINK_TTL_HOURS, systemRoles, type IssuedLink } from '../services/people';
import { PASSWORD_MAX_LENGTH } from '../services/password-policy';
import { router, systemAdminProcedure } from '../trpc';
import { pageInput } from './_schemas';

const REST = '/api/v1/users';
const tags = ['users'];

export const personOutput = z.object({
  id: z.uuid(),
  username: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  systemRole: z.string(),
  signIn: z.enum(['password', 'oidc', 'both', 'none']).meta({ description: 'How the person signs in; none = invited, no password yet' }),
  status: z.enum(['active', 'invited', 'deactivated']),
  mustChangePassword: z.boolean(),
  pendingLink: z.enum(['invite', 'reset']).nullable().meta({ description: 'An unexpired, unspent invite or reset link is waiting' }),
  lastSignInAt: timestamp.nullable(),
  deactivatedAt: timestamp.nullable(),
  createdAt: timestamp,
});

export const linkOutput = z.object({
  kind: z.enum(['invite', 'reset']),
  token: z.string().meta({ description: 'The one-time token (wsi_…); shown once. The person opens /invite/<token>' }),
  path: z.string().meta({ description: 'Path of the page where the person sets their password' }),
  expiresAt: timestamp,
});

export function linkOf(link: IssuedLink) {
  return { kind: link.kind, token: link.token, path: `/invite/${link.token}`, expiresAt: link.expiresAt };
}

export const username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits and . _ @ - (starting with a letter or digit)');
export const displayName = z.string().trim().min(1).max(128);
export const email = z.email().max(320);
const systemRole = z.enum(systemRoles);
const userId = z.object({ userId: z.uuid() });

export const usersRouter = router({
  list: systemAdminProcedure
    .meta({ openapi: { method: 'GET', path: REST, tags, summary: 'People (system Admins only), by username; `query` searches username, name and email' } })
    .input(z.object({ ...pageInput, query: z.string().trim().max(128).optional(), status: z.enum(['active', 'invited', 'deactivated']).optional() }))
    .output(pageOf(personOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.people.list({ query: input.query || undefined, status: input.status, afterUsername: input.cursor, limit: input.limit });
    }),

  get: systemAdminProcedure
    .meta({ openapi: { method: 'GET', path: `${REST}/{userId}`, tags, summary: 'One person' } })
    .input(userId)
    .output(personOutput)
    .query(({ ctx, input }) => ctx.people.get(input.userId)),

  /**
   * With `password`: the Admin typed it; the person must change it at first sign-in. Without: an
   * invite link (72 h, single use) is in this answer only.
   */
  create: systemAdminProcedure
    .meta({ openapi: { method: 'POST', path: REST, tags, summary: 'Create a local user with a typed password or a one-time invite link' } })
    .input(
      z.object({
        username,
        displayName: displayName.nullish(),
        email: email.nullish(),
        systemRole: systemRole.default('User'),
        password: z.string().max(PASSWORD_MAX_LENGTH).optional().meta({ description: 'Omit to get an invite link instead' }),
      }),
    )
    .output(z.object({ user: personOutput, link: linkOutput.nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (input.password === undefined) await ctx.rateLimits.consume('accountLink', rateLimitSubjectOf(ctx.principal));
      // Hashing (slow on purpose) first; the person, their invite link and the audit row commit together.
      const passwordHash = await ctx.people.hashInitialPassword(input);
      const created = await ctx.atomically(async () => {
        const created = await ctx.people.insert({ ...input, createdBy: ctx.principal.userId }, passwordHash);
        await ctx.recordAudit({
          action: created.link ? 'user.invite' : 'user.create',
          target: { type: 'user', id: created.userId },
          outcome: 'success',
          details: { username: input.username, systemRole: input.systemRole, ...(created.link ? { expiresInHours: ACCOUNT_LINK_TTL_HOURS } : {}) },
        });
        return created;
      });
      return { user: await ctx.people.get(created.userId), link: created.link && linkOf(created.link) };
    }),

  update: systemAdminProcedure
    .meta({ openapi: { method: 'PATCH', path: `${REST}/{userId}`, tags, summary: "Change a person's display name, email or system role (never demote the last Admin)" } })
    .input(z.object({ userId: z.uuid(), displayName: displayName.nullish(), email: email.nullish(), systemRole: systemRole.optional() }))
    .output(personOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.atomically(async () => {
        const { previousRole } = await ctx.people.update(input.userId, input);
        const changed = Object.keys(input).filter((key) => key !== 'userId' && input[key as keyof typeof input] !== undefined);
        await ctx.recordAudit({ action: 'user.update', target: { type: 'user', id: input.userId }, outcome: 'success', details: { changed } });
        if (previousRole !== null && input.systemRole !== undefined) {
          await ctx.recordAudit({ action: 'user.setSystemRole', target: { type: 'user', id: input.userId }, outcome: 'success', details: { from: previousRole, to: input.systemRole } });
        }
      });
      return ctx.people.get(input.userId);
    }),

  /**
   * An invite link for someone who has not set a password yet, else a reset link: the current
   * password stops working and every session of the person ends now.
   */
  passwordReset: systemAdminProcedure
    .meta({ openapi: { method: 'POST', path: `${REST}/{userId}/password-reset`, tags, summary: "Issue a one-time reset (or new invite) link; ends the person's sessions" } })
    .input(userId)
    .output(linkOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accountLink', rateLimitSubjectOf(ctx.principal));
      const link = await ctx.atomically(async () => {
        const link = await ctx.people.issueLink(input.userId, ctx.principal.userId);
        await ctx.recordAudit({
          action: link.kind === 'reset' ? 'user.passwordReset' : 'user.invite',
          target: { type: 'user', id: input.userId },
          outcome: 'success',
          details: { expiresInHours: ACCOUNT_LINK_TTL_HOURS },
        });
        return link;
      });
      return linkOf(link);
    }),

  revokeLink: systemAdminProcedure
    .meta({ openapi: { method: 'DELETE', path: `${REST}/{userId}/link`, tags, summary: 'Revoke the pending invite or reset link' } })
    .input(userId)
    .output(z.object({ revoked: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.atomically(async () => {
        const revoked = await ctx.people.revokeLinks(input.userId);
        await ctx.recordAudit({ action: 'user.revokeLink', target: { type: 'user', id: input.userId }, outcome: 'success', details: { revoked } });
        return { revoked };
      });
    }),

  deactivate: systemAdminProcedure
    .meta({ openapi: { method: 'POST', path: `${REST}/{userId}/deactivate`, tags, summary: 'Deactivate: sign-in refused, sessions ended, API tokens they created stop (never the last Admin)' } })
    .input(userId)
    .output(personOutput)
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.principal.userId) throw new InvalidInputError('userId', 'You cannot deactivate yourself; ask another Admin');
      await ctx.atomically(async () => {
        const { endedSessions } = await ctx.people.deactivate(input.userId);
        await ctx.recordAudit({ action: 'user.deactivate', target: { type: 'user', id: input.userId }, outcome: 'success', details: { endedSessions } });
      });
      return ctx.people.get(input.userId);
    }),

  reactivate: systemAdminProcedure
    .meta({ openapi: { method: 'POST', path: `${REST}/{userId}/reactivate`, tags, summary: 'Reactivate a deactivated person' } })
    .input(userId)
    .output(personOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.atomically(async () => {
        await ctx.people.reactivate(input.userId);
        await ctx.recordAudit({ action: 'user.reactivate', target: { type: 'user', id: input.userId }, outcome: 'success' });
      });
      return ctx.people.get(input.userId);
    }),
});
