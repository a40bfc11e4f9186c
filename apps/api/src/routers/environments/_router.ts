// Environments (MISSION F3). Owners/Admins view and change settings; every member sees `choices`
// (names, default, configured) to pick one.
import { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import { router, workspaceProcedure } from '../../trpc';
import { pageInput } from '../_schemas';
import { saveEnvironment } from './save.handler';
import { createEnvironmentInput, environmentById, updateEnvironmentInput } from './save.schema';

export const environmentsRouter = router({
  list: workspaceProcedure
    .meta({ action: 'environment.read' })
    .input(z.object(pageInput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.environments.list(ctx.workspace.id, { afterName: input.cursor, limit: input.limit });
    }),

  choices: workspaceProcedure
    .meta({ action: 'environment.use' })
    .input(z.object(pageInput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.environments.choices(ctx.workspace.id, { afterName: input.cursor, limit: input.limit });
    }),

  get: workspaceProcedure
    .meta({ action: 'environment.read' })
    .input(environmentById)
    .query(({ ctx, input }) => ctx.environments.get(ctx.workspace.id, input.environmentId)),

  create: workspaceProcedure
    .meta({ action: 'environment.manage' })
    .input(createEnvironmentInput)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, ...save } = input;
      return saveEnvironment(ctx, null, save);
    }),

  update: workspaceProcedure
    .meta({ action: 'environment.manage' })
    .input(updateEnvironmentInput)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, environmentId, ...save } = input;
      return saveEnvironment(ctx, environmentId, { ...save, environmentId });
    }),

  setDefault: workspaceProcedure
    .meta({ action: 'environment.manage' })
    .input(environmentById)
    .mutation(async ({ ctx, input }) => {
      const environment = await ctx.environments.setDefault(ctx.workspace.id, input.environmentId);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'environment.setDefault',
        target: { type: 'environment', id: environment.id },
        outcome: 'success',
        details: { name: environment.name },
      });
      return environment;
    }),

  delete: workspaceProcedure
    .meta({ action: 'environment.manage' })
    .input(environmentById)
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.environments.delete(ctx.workspace.id, input.environmentId);
      // The connection stays (other environments or procedures may use it); its pool is unaffected.
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'environment.delete',
        target: { type: 'environment', id: deleted.id },
        outcome: 'success',
        details: { name: deleted.name },
      });
      return { id: deleted.id, deleted: true as const };
    }),
});
