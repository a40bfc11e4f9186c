// Input schemas and guards shared by the connection procedures (and the environment form, which
// carries the same connection fields).
import { connectionStatus, connectionType, type ConnectionOptions } from '@studio/db/schema';
import { ALL_ENCRYPTION_MODES } from '@studio/mssql-pool';
import { z } from 'zod';
import type { Context } from '../../context';
import { timestamp } from '../_outputs';
import type { Principal, WorkspaceScope } from '../../services/authorization';
import { otherServersOf } from '../../services/credential-target';
import { caCertificateProblem, encryptionProblemOf } from '../../services/connection-tls';
import { OutboundPolicyError } from '../../services/outbound-policy';

// A hostname or an IP literal (IPv6 optionally in brackets); no scheme, port, path or spaces.
export const host = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/, 'must be a hostname or IP address');

const encryptionMode = z.enum(ALL_ENCRYPTION_MODES).meta({
  description:
    "Encryption mode, per type. SQL Server: off (nothing is encrypted, not even the login: the Node driver has no login-only encryption) | required (TLS, certificate checked unless trustServerCertificate) | strict (TDS 8.0: TLS first, always checked). PostgreSQL: disable | require (TLS, certificate not checked) | verify-ca | verify-full. MySQL: off | required (TLS, certificate not checked) | verify-identity. Every mode but off/disable refuses a server that does not offer TLS (security_violation, reason ssl_required). Unset: from `tls` (true = required; for PostgreSQL/MySQL verify-full/verify-identity, or require/required with trustServerCertificate).",
});

/** A CA certificate to trust: not secret, but it must parse and be valid now. */
const caCertificate = z
  .string()
  .max(20_000)
  .superRefine((pem, ctx) => {
    const problem = caCertificateProblem(pem);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ description: 'PEM CA certificate(s) the server certificate is checked against; must parse and be valid now. Not a secret.' });

export const connectionOptions = z.strictObject({
  encryption: encryptionMode.optional(),
  tls: z.boolean().optional().meta({ description: 'The older on/off switch; true means TLS required. `encryption` wins when both are set (and they must agree).' }),
  trustServerCertificate: z.boolean().optional().meta({ description: 'SQL Server required: do not check the certificate (an explicit choice; shown with a warning). Refused with strict and with verifying PostgreSQL/MySQL modes.' }),
  ca: caCertificate.optional(),
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

/** The encryption options must fit the connection's type (a mode of that type, no contradictions). */
export function encryptionFits(input: { type: z.infer<typeof connectionFields.type>; options?: ConnectionOptions | undefined }, ctx: z.RefinementCtx) {
  const problem = encryptionProblemOf(input.type, input.options ?? {});
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path.split('.'), message: problem.message });
}

/** createInput without its cross-field check, for schemas that extend it. */
export const createFields = z.object({ ...connectionFields, password: password.optional() });

export const createInput = createFields.superRefine(encryptionFits);

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

/** Options as stored; the same fields as the input (a stored CA is shown even once expired), unknown keys dropped on the way out. */
const connectionOptionsOutput = z.object({ ...connectionOptions.shape, encryption: z.string().optional(), ca: z.string().optional() });

/** What the settings ask for; what was negotiated is the test's and the pool's to say. */
export const requestedEncryptionOutput = z
  .object({
    mode: z.enum(ALL_ENCRYPTION_MODES),
    tlsRequired: z.boolean(),
    certificateCheck: z.enum(['none', 'chain', 'full']).meta({ description: 'none: the certificate is not checked (an explicit choice)' }),
  })
  .meta({ description: 'The encryption the settings ask for (the mode in force, also for connections saved before modes existed)' });

const negotiatedTlsOutput = z.object({
  protocol: z.string(),
  cipher: z.string(),
  alpnProtocol: z.string().nullable(),
  authorized: z.boolean().meta({ description: 'The certificate was verified against the trusted CAs' }),
  certificate: z
    .object({
      subject: z.string(),
      issuer: z.string(),
      subjectAltNames: z.array(z.string()),
      validFrom: z.string(),
      validTo: z.string(),
      daysToExpiry: z.number().int(),
      fingerprint256: z.string(),
    })
    .nullable(),
});

/** What the last test negotiated, as stored with the connection. */
const lastTlsOutput = z
  .object({
    mode: z.string(),
    encrypted: z.boolean(),
    protocol: z.string().optional(),
    cipher: z.string().optional(),
    alpnProtocol: z.string().nullable().optional(),
    authorized: z.boolean().optional(),
    certificate: negotiatedTlsOutput.shape.certificate.optional(),
  })
  .nullable()
  .meta({ description: 'What the last connection test negotiated (read from its socket, days to expiry counted now); null before a test got past the login or after the settings changed' });

/** What a session negotiated: TLS as read from its socket, or plaintext. */
export const channelSecurityOutput = z.union([z.object({ encrypted: z.literal(false) }), negotiatedTlsOutput.extend({ encrypted: z.literal(true) })]);

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
  encryption: requestedEncryptionOutput,
  lastTls: lastTlsOutput,
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
      warning: z.string().optional().meta({ description: 'Passed, but worth acting on: no encryption, an unchecked certificate, a certificate expiring within 30 days' }),
      tls: negotiatedTlsOutput
        .extend({ mode: z.enum(ALL_ENCRYPTION_MODES) })
        .optional()
        .meta({ description: 'tls step: what the session negotiated (protocol, cipher, certificate subject, issuer, SANs, days to expiry)' }),
    }),
  ),
  details: z.object({
    reason: z.string().meta({ description: 'ok, authentication_failed, database_not_found, timeout, ssl_required, …' }),
    database_type: z.enum(connectionType.enumValues),
    error_code: z.string().nullable(),
    current_protocol: z.literal('plain').optional().meta({ description: 'With ssl_required: the server offered no TLS' }),
  }),
});

/** One pool of the WorkspacePoolManager as a workspace sees it (no pool key: it fingerprints settings). */
export const poolSummaryOutput = z.object({
  connectionId: z.string(),
  type: z.enum(connectionType.enumValues),
  state: z.enum(['connecting', 'ready', 'unhealthy', 'draining', 'closed']),
  server: z
    .object({ host: z.string(), port: z.number().int() })
    .meta({ description: "The server this pool is connected to: the connection's host:port, or its failover partner / an alternate host after a failover" }),
  readOnlyIntent: z.boolean().meta({ description: 'The read-intent pool (logins with ApplicationIntent=ReadOnly, options.readIntent)' }),
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
  encryption: z.enum(ALL_ENCRYPTION_MODES),
  tls: channelSecurityOutput.nullable().meta({ description: "What the pool's latest connection negotiated; null before one is open" }),
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
