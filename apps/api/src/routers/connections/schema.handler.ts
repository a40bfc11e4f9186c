// connections.schema: the schema browser's catalogue of one connection (anyone who may use it).
import type { z } from 'zod';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import type { WorkspaceHandlerContext } from './_schemas';
import type { schemaInput } from './schema.schema';

export async function schemaHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof schemaInput> }) {
  const facts = await connectionFactsOf(ctx, input.connectionId);
  await authorizeOnConnection(ctx, 'connection.schema', facts, { type: 'connection', id: input.connectionId });
  const catalogue = await ctx.schemaBrowser.catalogue(ctx.workspace.id, input.connectionId, { refresh: input.refresh ?? false });
  return { connectionId: input.connectionId, ...catalogue };
}
