// connections.status / reset / poolStats: what the pool manager knows about a workspace's
// connections. Pool keys carry an HMAC fingerprint of the settings; they are not shown.
import type { PoolStats } from '@studio/mssql-pool';
import type { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import { canManageConnection } from '../../services/policy';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import type { byId, WorkspaceHandlerContext } from './_schemas';
import type { poolStatsInput } from './poolStats.schema';

/** How long a reset waits for the new pool's first login. */
const RESET_ACQUIRE_TIMEOUT_MS = 15_000;

function summaryOf(pool: PoolStats) {
  return {
    connectionId: pool.connectionId,
    type: pool.type,
    state: pool.state,
    server: { host: pool.server.host, port: pool.server.port },
    readOnlyIntent: pool.readOnlyIntent,
    poolSize: pool.poolSize,
    size: pool.size,
    borrowed: pool.borrowed,
    idle: pool.idle,
    waiters: pool.waiters,
    leases: pool.leases,
    errors: pool.errors,
    consecutiveFailures: pool.consecutiveFailures,
    createdAt: pool.createdAt,
    lastUsedAt: pool.lastUsedAt,
    acquires: pool.acquire.count,
    acquireAvgMs: pool.acquire.count === 0 ? 0 : pool.acquire.sumMs / pool.acquire.count,
    encryption: pool.encryption,
    tls: pool.tls,
  };
}

export type PoolSummary = ReturnType<typeof summaryOf>;

/**
 * The pool new work would use, not one still draining after a reset or a settings change; of a
 * connection with read intent, the read-write pool when both are open.
 */
function livePool(pools: PoolSummary[]): PoolSummary | null {
  const live = pools.filter((p) => p.state !== 'draining' && p.state !== 'closed');
  return live.find((p) => !p.readOnlyIntent) ?? live[0] ?? null;
}

function poolsOf(ctx: WorkspaceHandlerContext, connectionId?: string) {
  const stats = ctx.pools.stats();
  const mine = (p: { workspaceId: string; connectionId: string }) => p.workspaceId === ctx.workspace.id && (connectionId === undefined || p.connectionId === connectionId);
  return {
    pools: stats.pools.filter(mine).map(summaryOf),
    circuits: stats.circuits.filter(mine).map((c) => ({ connectionId: c.connectionId, failures: c.failures, retryAt: c.retryAt })),
  };
}

export async function statusHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof byId> }) {
  await ctx.rateLimits.consume('status', rateLimitSubjectOf(ctx.principal));
  const grant = ctx.principal.kind === 'user' ? await ctx.connections.grantOf(input.connectionId, ctx.principal.userId) : undefined;
  const row = await ctx.connections.statusOf(ctx.workspace.id, input.connectionId, { revealUser: canManageConnection(ctx.workspace.actor, grant) });
  const { pools, circuits } = poolsOf(ctx, input.connectionId);
  return {
    connectionId: row.id,
    type: row.type,
    status: row.status,
    lastTestedAt: row.lastTestedAt,
    lastError: row.lastError,
    pool: livePool(pools),
    circuitOpen: circuits.length > 0,
  };
}

export async function resetHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof byId> }) {
  await authorizeOnConnection(ctx, 'connection.reset', await connectionFactsOf(ctx, input.connectionId), { type: 'connection', id: input.connectionId });
  await ctx.rateLimits.consume('poolReset', rateLimitSubjectOf(ctx.principal));
  const database = await ctx.workspaceDatabases.targetOf(ctx.workspace.id, { connectionId: input.connectionId });
  const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
    ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'connection.reset', target: { type: 'connection', id: input.connectionId }, outcome, details });
  try {
    // Drain the old pool (and forget its failures), then log in once for the new one.
    await ctx.pools.reset({ workspaceId: ctx.workspace.id, connectionId: input.connectionId });
    await ctx.workspaceDatabases.withConnection(database, async () => undefined, { timeoutMs: RESET_ACQUIRE_TIMEOUT_MS, skipSchemaGate: true });
  } catch (error) {
    await audit('failure', { errorCode: (error as { code?: unknown }).code ?? null });
    throw error;
  }
  await audit('success', {});
  const { pools } = poolsOf(ctx, input.connectionId);
  return { connectionId: input.connectionId, reset: true as const, pool: livePool(pools) };
}

export async function poolStatsHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof poolStatsInput> }) {
  await ctx.rateLimits.consume('poolStats', rateLimitSubjectOf(ctx.principal));
  if (input.connectionId !== undefined) await ctx.connections.statusOf(ctx.workspace.id, input.connectionId);
  const { pools, circuits } = poolsOf(ctx, input.connectionId);
  return {
    pools,
    circuits,
    totals: {
      pools: pools.length,
      connections: pools.reduce((sum, p) => sum + p.size, 0),
      borrowed: pools.reduce((sum, p) => sum + p.borrowed, 0),
      waiters: pools.reduce((sum, p) => sum + p.waiters, 0),
    },
  };
}
