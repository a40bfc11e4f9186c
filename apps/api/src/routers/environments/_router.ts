// Environments (MISSION F3). Owners/Admins view and change settings; every member sees `choices`
// (names, default, configured) to pick one.
import { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import { router, workspaceProcedure } from '../../trpc';
import { deletedOutput, pageOf } from '../_outputs';
import { pageInput } from '../_schemas';
import { saveEnvironment } from './save.handler';
import { createEnvironmentInput, environmentById, environmentChoiceOutput, environmentOutput, saveOutput, updateEnvironmentInput } from './save.schema';

const REST = '/api/v1/workspaces/{workspaceSlug}/environments';
const tags = ['environments'];

export const environmentsRouter = router({
  list: workspaceProcedure
    .meta({ action: 'environment.read', openapi: { method: 'GET', path: REST, tags, summary: 'Environments with their connection settings (Owner, Admin)' } })
    .input(z.object(pageInput))
    .output(pageOf(environmentOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.environments.list(ctx.workspace.id, { afterName: input.cursor, limit: input.limit });
    }),

  choices: workspaceProcedure
    .meta({ action: 'environment.use', openapi: { method: 'GET', path: `${REST}/choices`, tags, summary: 'Environments to pick from (every member; no settings)' } })
    .input(z.object(pageInput))
    .output(pageOf(environmentChoiceOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.environments.choices(ctx.workspace.id, { afterName: input.cursor, limit: input.limit });
    }),

  get: workspaceProcedure
    .meta({ action: 'environment.read', openapi: { method: 'GET', path: `${REST}/{environmentId}`, tags, summary: 'An environment with its connection settings' } })
    .input(environmentById)
    .output(environmentOutput)
    .query(({ ctx, input }) => ctx.environments.get(ctx.workspace.id, input.environmentId)),

  create: workspaceProcedure
    .meta({ action: 'environment.manage', openapi: { method: 'POST', path: REST, tags, summary: 'Create an environment; its connection is tested on save (30/h)' } })
    .input(createEnvironmentInput)
    .output(saveOutput)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, ...save } = input;
      return saveEnvironment(ctx, null, save);
    }),

  update: workspaceProcedure
    .meta({ action: 'environment.manage', openapi: { method: 'PATCH', path: `${REST}/{environmentId}`, tags, summary: 'Update an environment; a changed connection is tested on save' } })
    .input(updateEnvironmentInput)
    .output(saveOutput)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, environmentId, ...save } = input;
      return saveEnvironment(ctx, environmentId, { ...save, environmentId });
    }),

  setDefault: workspaceProcedure
    .meta({ action: 'environment.manage', openapi: { method: 'POST', path: `${REST}/{environmentId}/default`, tags, summary: 'Make this the default environment' } })
    .input(environmentById)
    .output(environmentOutput)
    .mutation(async ({ ctx, input }) => {
      return ctx.atomically(async () => {
        const environment = await ctx.environments.setDefault(ctx.workspace.id, input.environmentId);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'environment.setDefault',
          target: { type: 'environment', id: environment.id },
          outcome: 'success',
          details: { name: environment.name },
        });
        // The default environment's target changed: cached targets of this workspace go, with the commit.
        await ctx.workspaceDatabases.targetsChanged(ctx.workspace.id);
        return environment;
      });
    }),

  delete: workspaceProcedure
    .meta({ action: 'environment.manage', openapi: { method: 'DELETE', path: `${REST}/{environmentId}`, tags, summary: 'Delete an environment (not the default while others exist)' } })
    .input(environmentById.extend({ deleteConnection: z.boolean().optional() }))
    .output(deletedOutput.extend({ deletedConnectionId: z.uuid().nullable() }))
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.atomically(async () => {
        const deleted = await ctx.environments.delete(ctx.workspace.id, input.environmentId, { deleteConnection: input.deleteConnection ?? false });
        // Without deleteConnection the connection stays (other environments or procedures may use it); its pool is unaffected.
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'environment.delete',
          target: { type: 'environment', id: deleted.id },
          outcome: 'success',
          details: { name: deleted.name },
        });
        if (deleted.deletedConnection) {
          await ctx.recordAudit({
            workspaceId: ctx.workspace.id,
            action: 'connection.delete',
            target: { type: 'connection', id: deleted.deletedConnection.id },
            outcome: 'success',
            details: { name: deleted.deletedConnection.name, withEnvironment: deleted.id },
          });
        }
        await ctx.workspaceDatabases.targetsChanged(ctx.workspace.id);
        return deleted;
      });
      // Once committed: other instances must not drop a pool for a delete that rolled back.
      if (deleted.deletedConnection) await ctx.poolInvalidation.connectionChanged(ctx.workspace.id, deleted.deletedConnection.id);
      return { id: deleted.id, deleted: true as const, deletedConnectionId: deleted.deletedConnection?.id ?? null };
    }),
});
