import { z } from 'zod';
import { rateLimitSubjectOf } from '../services/authorization';
import { router, workspaceProcedure } from '../trpc';
import { pageInput } from './_schemas';

export const auditRouter = router({
  /** Newest first. `cursor` is the id of the last entry of the previous page. */
  list: workspaceProcedure
    .meta({ action: 'audit.read' })
    .input(
      z.object({
        actorUserId: z.uuid().optional(),
        action: z.string().min(1).max(100).optional(),
        targetType: z.string().min(1).max(50).optional(),
        targetId: z.string().min(1).max(200).optional(),
        outcome: z.enum(['success', 'failure', 'denied']).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        ...pageInput,
        cursor: z.uuid().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      const { workspaceId: _w, workspaceSlug: _s, cursor, ...filter } = input;
      return ctx.audit.list({ ...filter, workspaceId: ctx.workspace.id, afterId: cursor });
    }),
});
