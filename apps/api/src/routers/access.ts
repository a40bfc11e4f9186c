import { z } from 'zod';
import { rateLimitSubjectOf } from '../services/authorization';
import { router, workspaceProcedure } from '../trpc';
import { pageInput } from './_schemas';

const grantTarget = { connectionId: z.uuid(), userId: z.uuid() };

export const accessRouter = router({
  list: workspaceProcedure
    .meta({ action: 'access.read' })
    .input(z.object({ connectionId: z.uuid(), ...pageInput }))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.access.list(ctx.workspace.id, input.connectionId, { afterUsername: input.cursor, limit: input.limit });
    }),

  grant: workspaceProcedure
    .meta({ action: 'access.grant' })
    .input(z.object({ ...grantTarget, level: z.enum(['use', 'manage']) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accessChange', rateLimitSubjectOf(ctx.principal));
      const assignedBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const grant = await ctx.access.grant(ctx.workspace.id, input, assignedBy);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'access.grant',
        target: { type: 'connection', id: input.connectionId },
        outcome: 'success',
        details: { userId: input.userId, level: input.level },
      });
      return grant;
    }),

  revoke: workspaceProcedure
    .meta({ action: 'access.revoke' })
    .input(z.object(grantTarget))
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('accessChange', rateLimitSubjectOf(ctx.principal));
      const result = await ctx.access.revoke(ctx.workspace.id, input);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'access.revoke',
        target: { type: 'connection', id: input.connectionId },
        outcome: 'success',
        details: { userId: input.userId, previousLevel: result.previousLevel },
      });
      return result;
    }),
});
