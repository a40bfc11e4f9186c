// Input schemas and guards shared by the connection procedures (and the environment form, which
// carries the same connection fields).
import { connectionStatus, connectionType, type ConnectionOptions } from '@studio/db/schema';
import { z } from 'zod';
import type { Context } from '../../context';
import { timestamp } from '../_outputs';
import type { Principal, WorkspaceScope } from '../../services/authorization';
import { otherServersOf } from '../../services/credential-target';
import { OutboundPolicyError } from '../../services/outbound-policy';

// A hostname or an IP literal (IPv6 optionally in brackets); no scheme, port, path or spaces.
export const host = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/, 'must be a hostname or IP address');

export const connectionOptions = z.strictObject({
  tls: z.boolean().optional(),
  trustServerCertificate: z.boolean().optional(),
  ca: z.string().max(20_000).optional(),
  poolSize: z.number().int().min(1).max(100).optional(),
  connectTimeoutMs: z.number().int().min(100).max(120_000).optional(),
  requestTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  idleTimeoutMs: z.number().int().min(1_000).max(86_400_000).optional(),
  // Servers besides host:port; each passes the outbound policy like host (assertOtherHostsAllowed).
  failoverPartner: z.strictObject({ host, port: z.number().int().min(1).max(65_535).optional() }).optional(),
  alternateHosts: z.array(z.strictObject({ host, port: z.number().int().min(1).max(65_535).optional() })).max(8).optional(),
  targetSessionAttrs: z.enum(['read-write', 'any']).optional(),
  /** SQL Server: schema browsing and read-only console runs log in with ApplicationIntent=ReadOnly. */
  readIntent: z.boolean().optional(),
}) satisfies z.ZodType<ConnectionOptions>;

export const connectionFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2_000).nullish(),
  type: z.enum(['mssql', 'postgres', 'mysql']),
  host,
  port: z.number().int().min(1).max(65_535),
  database: z.string().trim().min(1).max(128),
  user: z.string().min(1).max(128),
  options: connectionOptions.optional(),
};

export const password = z.string().max(1_024);

/** A test's deadline for this call; default CONNECTION_TEST_TIMEOUT_MS. */
export const testTimeoutMs = z.number().int().min(100).max(30_000).optional();

export const createInput = z.object({ ...connectionFields, password: password.optional() });

export const updateInput = z.object({
  connectionId: z.uuid(),
  name: connectionFields.name.optional(),
  description: connectionFields.description,
  type: connectionFields.type.optional(),
  host: connectionFields.host.optional(),
  port: connectionFields.port.optional(),
  database: connectionFields.database.optional(),
  user: connectionFields.user.optional(),
  options: connectionFields.options,
  /** Write-only: omitted = keep, null = clear, string = replace. */
  password: password.nullable().optional(),
});

export const byId = z.object({ connectionId: z.uuid() });

export type WorkspaceContext = Context & { workspace: { id: string } };

/** The context a workspace procedure's handler receives. */
export type WorkspaceHandlerContext = Context & { principal: Principal; workspace: WorkspaceScope };

/** Refuses (and audits) a host the outbound policy will not let workspace connections reach. */
export async function assertHostAllowed(ctx: WorkspaceContext, hostName: string, action: string, target: { type: string; id: string | null }, field = 'host') {
  const decision = await ctx.outboundPolicy.check(hostName);
  if (decision.allowed) return;
  await ctx.recordAudit({
    workspaceId: ctx.workspace.id,
    action,
    target,
    outcome: 'denied',
    details: { reason: decision.reason, host: hostName, ...(field !== 'host' && { field }) },
  });
  throw new OutboundPolicyError(decision, field);
}

/** The same for every other server a connection's pools may reach (failover partner, alternate hosts). */
export async function assertOtherHostsAllowed(ctx: WorkspaceContext, options: ConnectionOptions | undefined, action: string, target: { type: string; id: string | null }, prefix = '') {
  for (const other of otherServersOf(options)) await assertHostAllowed(ctx, other.host, action, target, `${prefix}${other.field}`);
}

/** Audit details of a connection change: names what changed, never a credential's value. */
export function changedFields(input: Record<string, unknown>) {
  return Object.keys(input).filter((key) => key !== 'workspaceId' && key !== 'workspaceSlug' && key !== 'connectionId' && input[key] !== undefined);
}

/** Options as stored; the same fields as the input, unknown keys dropped on the way out. */
const connectionOptionsOutput = z.object(connectionOptions.shape);

/** A connection as clients see it: `hasPassword`, never the password or a ciphertext. */
export const connectionOutput = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  type: z.enum(connectionType.enumValues),
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  /** Shown to those who manage the connection; null for everyone else. */
  user: z.string().nullable().meta({ description: 'The database login; null unless the caller manages the connection' }),
  hasPassword: z.boolean().meta({ description: 'Whether a password is stored (the password itself is write-only)' }),
  options: connectionOptionsOutput,
  status: z.enum(connectionStatus.enumValues),
  lastTestedAt: timestamp.nullable(),
  lastError: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A connection test's answer (MISSION F2): a failed test is an answer, not an error. */
export const testResultOutput = z.object({
  success: z.boolean(),
  message: z.string(),
  latencyMs: z.number(),
  serverVersion: z.string().nullable(),
  steps: z.array(
    z.object({
      name: z.enum(['dns', 'tcp', 'tls', 'login', 'query']),
      ok: z.boolean(),
      ms: z.number(),
      skipped: z.boolean().optional(),
      notRun: z.boolean().optional().meta({ description: 'The step never ran because an earlier one failed; `reason` names it.' }),
      reason: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
  details: z.object({ reason: z.string().meta({ description: 'ok, authentication_failed, database_not_found, timeout, …' }), database_type: z.enum(connectionType.enumValues), error_code: z.string().nullable() }),
});

/** One pool of the WorkspacePoolManager as a workspace sees it (no pool key: it fingerprints settings). */
export const poolSummaryOutput = z.object({
  connectionId: z.string(),
  type: z.enum(connectionType.enumValues),
  state: z.enum(['connecting', 'ready', 'unhealthy', 'draining', 'closed']),
  poolSize: z.number().int(),
  size: z.number().int(),
  borrowed: z.number().int(),
  idle: z.number().int(),
  waiters: z.number().int(),
  leases: z.number().int(),
  errors: z.number().int(),
  consecutiveFailures: z.number().int(),
  createdAt: timestamp,
  lastUsedAt: timestamp,
  acquires: z.number().int(),
  acquireAvgMs: z.number(),
});

export const statusOutput = z.object({
  connectionId: z.uuid(),
  type: z.enum(connectionType.enumValues),
  status: z.enum(connectionStatus.enumValues),
  lastTestedAt: timestamp.nullable(),
  lastError: z.string().nullable(),
  pool: poolSummaryOutput.nullable(),
  circuitOpen: z.boolean(),
});

export const resetOutput = z.object({ connectionId: z.uuid(), reset: z.literal(true), pool: poolSummaryOutput.nullable() });

export const poolStatsOutput = z.object({
  pools: z.array(poolSummaryOutput),
  circuits: z.array(z.object({ connectionId: z.string(), failures: z.number().int(), retryAt: timestamp })),
  totals: z.object({ pools: z.number().int(), connections: z.number().int(), borrowed: z.number().int(), waiters: z.number().int() }),
});

export const validateOutput = z.object({
  valid: z.boolean(),
  problems: z.array(z.object({ field: z.string(), reason: z.string(), message: z.string() })),
});
