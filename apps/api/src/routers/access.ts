import { connectionAccessLevel } from '@studio/db/schema';
import { z } from 'zod';
import { pageOf, timestamp } from './_outputs';
import { rateLimitSubjectOf } from '../services/authorization';
import { router, workspaceProcedure } from '../trpc';
import { pageInput } from './_schemas';

const grantTarget = { connectionId: z.uuid(), userId: z.uuid() };
const level = z.enum(connectionAccessLevel.enumValues);

const REST = '/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}/access';
const tags = ['access'];

export const accessRouter = router({
  list: workspaceProcedure
    .meta({ action: 'access.read', openapi: { method: 'GET', path: REST, tags, summary: "A connection's grants" } })
    .input(z.object({ connectionId: z.uuid(), ...pageInput }))
    .output(
      pageOf(
        z.object({ userId: z.uuid(), username: z.string(), displayName: z.string().nullable(), level, assignedAt: timestamp, assignedBy: z.uuid().nullable() }),
      ),
    )
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.access.list(ctx.workspace.id, input.connectionId, { afterUsername: input.cursor, limit: input.limit });
    }),

  grant: workspaceProcedure
    .meta({ action: 'access.grant', openapi: { method: 'POST', path: REST, tags, summary: 'Grant a member use or manage of a connection (20/h)' } })
    .input(z.object({ ...grantTarget, level: z.enum(['use', 'manage']) }))
    .output(z.object({ connectionId: z.uuid(), userId: z.uuid(), level, assignedAt: timestamp }))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accessChange', rateLimitSubjectOf(ctx.principal));
      const assignedBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const grant = await ctx.atomically(async () => {
        const grant = await ctx.access.grant(ctx.workspace.id, input, assignedBy);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'access.grant',
          target: { type: 'connection', id: input.connectionId },
          outcome: 'success',
          details: { userId: input.userId, level: input.level },
        });
        return grant;
      });
      return grant;
    }),

  revoke: workspaceProcedure
    .meta({ action: 'access.revoke', openapi: { method: 'DELETE', path: `${REST}/{userId}`, tags, summary: "Revoke a member's grant (20/h)" } })
    .input(z.object(grantTarget))
    .output(z.object({ connectionId: z.uuid(), userId: z.uuid(), previousLevel: level }))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accessChange', rateLimitSubjectOf(ctx.principal));
      const result = await ctx.atomically(async () => {
        const result = await ctx.access.revoke(ctx.workspace.id, input);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'access.revoke',
          target: { type: 'connection', id: input.connectionId },
          outcome: 'success',
          details: { userId: input.userId, previousLevel: result.previousLevel },
        });
        return result;
      });
      return result;
    }),
});
