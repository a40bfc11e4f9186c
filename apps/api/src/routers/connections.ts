import type { ConnectionOptions } from '@studio/db/schema';
import { z } from 'zod';
import { OutboundPolicyError } from '../services/outbound-policy';
import { rateLimitSubjectOf } from '../services/authorization';
import { canManageConnection, canUseConnection } from '../services/policy';
import type { Context } from '../context';
import { router, workspaceProcedure } from '../trpc';
import { pageInput } from './_schemas';

// A hostname or an IP literal (IPv6 optionally in brackets); no scheme, port, path or spaces.
const host = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/, 'must be a hostname or IP address');

const connectionOptions = z.strictObject({
  tls: z.boolean().optional(),
  trustServerCertificate: z.boolean().optional(),
  ca: z.string().max(20_000).optional(),
  poolSize: z.number().int().min(1).max(100).optional(),
  connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
  requestTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  idleTimeoutMs: z.number().int().min(1_000).max(86_400_000).optional(),
}) satisfies z.ZodType<ConnectionOptions>;

const fields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2_000).nullish(),
  type: z.enum(['mssql', 'postgres', 'mysql']),
  host,
  port: z.number().int().min(1).max(65_535),
  database: z.string().trim().min(1).max(128),
  user: z.string().min(1).max(128),
  options: connectionOptions.optional(),
};

const createInput = z.object({ ...fields, password: z.string().max(1_024).optional() });
const updateInput = z.object({
  connectionId: z.uuid(),
  name: fields.name.optional(),
  description: fields.description,
  type: fields.type.optional(),
  host: fields.host.optional(),
  port: fields.port.optional(),
  database: fields.database.optional(),
  user: fields.user.optional(),
  options: fields.options,
  /** Write-only: omitted = keep, null = clear, string = replace. */
  password: z.string().max(1_024).nullable().optional(),
});
const byId = z.object({ connectionId: z.uuid() });

type WorkspaceContext = Context & { workspace: { id: string } };

/** Refuses (and audits) a host the outbound policy will not let workspace connections reach. */
async function assertHostAllowed(ctx: WorkspaceContext, hostName: string, action: string, targetId: string | null) {
  const decision = await ctx.outboundPolicy.check(hostName);
  if (decision.allowed) return;
  await ctx.recordAudit({
    workspaceId: ctx.workspace.id,
    action,
    target: { type: 'connection', id: targetId },
    outcome: 'denied',
    details: { reason: decision.reason, host: hostName },
  });
  throw new OutboundPolicyError(decision);
}

/** Audit details of a connection change: names what changed, never a credential's value. */
function changedFields(input: Record<string, unknown>) {
  return Object.keys(input).filter((key) => key !== 'workspaceId' && key !== 'workspaceSlug' && key !== 'connectionId' && input[key] !== undefined);
}

export const connectionsRouter = router({
  list: workspaceProcedure
    .meta({ action: 'connection.read' })
    .input(z.object(pageInput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      // Per-row grants are not consulted here: in a list, the user name is shown to Owners/Admins only.
      const revealUser = canManageConnection(ctx.workspace.actor, undefined);
      return ctx.connections.list(ctx.workspace.id, { afterName: input.cursor, limit: input.limit }, { revealUser });
    }),

  get: workspaceProcedure
    .meta({ action: 'connection.read' })
    .input(byId)
    .query(async ({ ctx, input }) => {
      const grant = ctx.principal.kind === 'user' ? await ctx.connections.grantOf(input.connectionId, ctx.principal.userId) : undefined;
      return ctx.connections.get(ctx.workspace.id, input.connectionId, { revealUser: canManageConnection(ctx.workspace.actor, grant) });
    }),

  /** What the caller may do with one connection (for the UI; the same checks guard the operations). */
  permissions: workspaceProcedure
    .meta({ action: 'connection.read' })
    .input(byId)
    .query(async ({ ctx, input }) => {
      const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const facts = await ctx.connections.useFacts(ctx.workspace.id, input.connectionId, userId);
      return { canUse: canUseConnection(ctx.workspace.actor, facts), canManage: canManageConnection(ctx.workspace.actor, facts.grant) };
    }),

  create: workspaceProcedure
    .meta({ action: 'connection.create' })
    .input(createInput)
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('connectionCreate', rateLimitSubjectOf(ctx.principal));
      await assertHostAllowed(ctx, input.host, 'connection.create', null);
      const { workspaceId: _w, workspaceSlug: _s, ...connection } = input;
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const created = await ctx.connections.create(ctx.workspace.id, connection, createdBy);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.create',
        target: { type: 'connection', id: created.id },
        outcome: 'success',
        details: { name: created.name, type: created.type, host: created.host, port: created.port, database: created.database },
      });
      return created;
    }),

  update: workspaceProcedure
    .meta({ action: 'connection.update', authorize: 'handler' })
    .input(updateInput)
    .mutation(async ({ ctx, input }) => {
      const grant = ctx.principal.kind === 'user' ? await ctx.connections.grantOf(input.connectionId, ctx.principal.userId) : undefined;
      await ctx.authorizer.requireThat(canManageConnection(ctx.workspace.actor, grant), {
        workspaceId: ctx.workspace.id,
        action: 'connection.update',
        target: { type: 'connection', id: input.connectionId },
      });
      const { workspaceId: _w, workspaceSlug: _s, connectionId, ...patch } = input;
      if (patch.host !== undefined) {
        // Existence first, so an unknown id is NOT_FOUND rather than a policy refusal.
        await ctx.connections.hostOf(ctx.workspace.id, connectionId);
        await assertHostAllowed(ctx, patch.host, 'connection.update', connectionId);
      }
      const updated = await ctx.connections.update(ctx.workspace.id, connectionId, patch);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.update',
        target: { type: 'connection', id: connectionId },
        outcome: 'success',
        details: { changed: changedFields(patch) },
      });
      return updated;
    }),

  delete: workspaceProcedure
    .meta({ action: 'connection.delete' })
    .input(byId)
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.connections.delete(ctx.workspace.id, input.connectionId);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.delete',
        target: { type: 'connection', id: deleted.id },
        outcome: 'success',
        details: { name: deleted.name },
      });
      return { id: deleted.id, deleted: true as const };
    }),
});
