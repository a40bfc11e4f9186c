// Import projects (seed 004): CRUD here; the imports themselves are routers/imports. Editing a project takes manage on
// its connection (Owners/Admins by role), on the old and the new one when it moves.
import { z } from 'zod';
import type { ProjectView } from '../../services/projects';
import { router, workspaceProcedure } from '../../trpc';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import { deletedOutput, pageOf } from '../_outputs';
import { pageInput } from '../_schemas';
import type { WorkspaceHandlerContext } from '../connections/_schemas';
import { createProjectInput, projectById, projectOutput, updateProjectInput } from './_schemas';

const REST = '/api/v1/workspaces/{workspaceSlug}/projects';
const tags = ['projects'];

function view(project: ProjectView) {
  const { connectionName, connectionType, workspaceId: _w, ...rest } = project;
  const connection = project.connectionId !== null && connectionName !== null && connectionType !== null ? { id: project.connectionId, name: connectionName, type: connectionType } : null;
  return { ...rest, connection };
}

/** Refuses (audited) changing a project on `connectionId` without manage on it; null: Owners/Admins only. */
async function authorizeProjectChange(ctx: WorkspaceHandlerContext, connectionId: string | null, projectId: string | null): Promise<void> {
  const facts = connectionId === null ? null : await connectionFactsOf(ctx, connectionId);
  await authorizeOnConnection(ctx, 'project.manage', facts, { type: 'project', id: projectId });
}

export const projectsRouter = router({
  list: workspaceProcedure
    .meta({ action: 'project.read', openapi: { method: 'GET', path: REST, tags, summary: 'List import projects' } })
    .input(z.object(pageInput))
    .output(pageOf(projectOutput))
    .query(async ({ ctx, input }) => {
      const page = await ctx.projects.list(ctx.workspace.id, { afterName: input.cursor, limit: input.limit });
      return { ...page, items: page.items.map(view) };
    }),

  get: workspaceProcedure
    .meta({ action: 'project.read', openapi: { method: 'GET', path: `${REST}/{projectId}`, tags, summary: 'Get an import project' } })
    .input(projectById)
    .output(projectOutput)
    .query(async ({ ctx, input }) => view(await ctx.projects.get(ctx.workspace.id, input.projectId))),

  create: workspaceProcedure
    .meta({ action: 'project.manage', authorize: 'handler', openapi: { method: 'POST', path: REST, tags, summary: 'Create an import project' } })
    .input(createProjectInput)
    .output(projectOutput)
    .mutation(async ({ ctx, input }) => {
      const connectionId = input.connectionId ?? null;
      await authorizeProjectChange(ctx, connectionId, null);
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      return ctx.atomically(async () => {
        const created = await ctx.projects.create(ctx.workspace.id, { name: input.name, description: input.description, connectionId, config: input.config }, createdBy);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'project.create', target: { type: 'project', id: created.id }, outcome: 'success', details: { name: created.name, connectionId } });
        return view(created);
      });
    }),

  update: workspaceProcedure
    .meta({ action: 'project.manage', authorize: 'handler', openapi: { method: 'PATCH', path: `${REST}/{projectId}`, tags, summary: 'Update an import project (connectionId null = none)' } })
    .input(updateProjectInput)
    .output(projectOutput)
    .mutation(async ({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, projectId, ...patch } = input;
      const current = await ctx.projects.connectionOf(ctx.workspace.id, projectId);
      await authorizeProjectChange(ctx, current, projectId);
      if (patch.connectionId !== undefined && patch.connectionId !== current) await authorizeProjectChange(ctx, patch.connectionId, projectId);
      return ctx.atomically(async () => {
        const updated = await ctx.projects.update(ctx.workspace.id, projectId, patch);
        const changed = Object.entries(patch).filter(([, value]) => value !== undefined).map(([key]) => key);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'project.update', target: { type: 'project', id: projectId }, outcome: 'success', details: { changed, connectionId: updated.connectionId } });
        return view(updated);
      });
    }),

  delete: workspaceProcedure
    .meta({ action: 'project.manage', authorize: 'handler', openapi: { method: 'DELETE', path: `${REST}/{projectId}`, tags, summary: 'Delete an import project (its import history is kept)' } })
    .input(projectById)
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await authorizeProjectChange(ctx, await ctx.projects.connectionOf(ctx.workspace.id, input.projectId), input.projectId);
      return ctx.atomically(async () => {
        const deleted = await ctx.projects.delete(ctx.workspace.id, input.projectId);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'project.delete', target: { type: 'project', id: deleted.id }, outcome: 'success', details: { name: deleted.name } });
        return { id: deleted.id, deleted: true as const };
      });
    }),

});
