// connections.schema: the schema browser's catalogue of one connection (anyone who may use it).
import type { z } from 'zod';
import { canUseConnection } from '../../services/policy';
import type { WorkspaceHandlerContext } from './_schemas';
import type { schemaInput } from './schema.schema';

export async function schemaHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof schemaInput> }) {
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
  const facts = await ctx.connections.useFacts(ctx.workspace.id, input.connectionId, userId);
  await ctx.authorizer.requireThat(canUseConnection(ctx.workspace.actor, facts), {
    workspaceId: ctx.workspace.id,
    action: 'connection.schema',
    target: { type: 'connection', id: input.connectionId },
  });
  const catalogue = await ctx.schemaBrowser.catalogue(ctx.workspace.id, input.connectionId, { refresh: input.refresh ?? false });
  return { connectionId: input.connectionId, ...catalogue };
}
