// The environment form: a name, and either an existing connection or the SQL Server connection's
// parameters themselves (host/port/database/user/password/options), validated like connections.create.
import { connectionStatus } from '@studio/db/schema';
import { z } from 'zod';
import { timestamp } from '../_outputs';
import { connectionFields, connectionOutput, password, testResultOutput, testTimeoutMs } from '../connections/_schemas';

const environmentFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2_000).nullish(),
  isDefault: z.boolean().optional(),
  /** Apply workspace migrations (F5) when the connection is set or changed; default true. */
  autoMigrate: z.boolean().optional(),
  /** Owners only: save without (or despite) the connection test. */
  saveUntested: z.boolean().default(false),
  timeoutMs: testTimeoutMs,
};

const connectionParams = z.strictObject({
  host: connectionFields.host,
  port: connectionFields.port.optional(),
  database: connectionFields.database,
  user: connectionFields.user,
  /** Write-only. On update: omitted (or blank in the form) = keep, null = clear. */
  password: password.nullable().optional(),
  options: connectionFields.options,
});

const oneConnection = (input: { connectionId?: string | null | undefined; connection?: unknown }) => !(input.connectionId != null && input.connection !== undefined);
const oneConnectionIssue = { message: 'give connectionId or connection, not both', path: ['connection'] };

export const createEnvironmentInput = z
  .object({ ...environmentFields, connectionId: z.uuid().optional(), connection: connectionParams.optional() })
  .refine(oneConnection, oneConnectionIssue)
  .refine((input) => input.connectionId !== undefined || input.connection !== undefined, { message: 'connectionId or connection is required', path: ['connectionId'] });

export const updateEnvironmentInput = z
  .object({
    environmentId: z.uuid(),
    name: environmentFields.name.optional(),
    description: environmentFields.description,
    isDefault: environmentFields.isDefault,
    autoMigrate: environmentFields.autoMigrate,
    saveUntested: environmentFields.saveUntested,
    timeoutMs: environmentFields.timeoutMs,
    /** null = unconfigure (the environment stays, pointing nowhere). */
    connectionId: z.uuid().nullable().optional(),
    connection: connectionParams.partial().strict().optional(),
  })
  .refine(oneConnection, oneConnectionIssue);

export const environmentById = z.object({ environmentId: z.uuid() });

const version = z.number().int();

/** The workspace database's last known schema status (F5), as the migration service caches it. */
const schemaStatusOutput = z.object({
  status: z.string().meta({ description: 'uninitialised | needs_migration | current | drifted | unknown' }),
  currentVersion: version.nullable(),
  latestVersion: version,
  pending: z.array(z.object({ version, name: z.string() })),
  problems: z.array(z.object({ kind: z.enum(['checksum_mismatch', 'unknown_version', 'missing_version']), version, message: z.string() })),
  lastError: z.object({ code: z.string(), number: z.number().int().nullable(), message: z.string(), version: version.nullable(), at: z.string() }).nullable(),
  lastRun: z
    .object({
      operation: z.enum(['apply', 'rollback']),
      outcome: z.enum(['applied', 'current', 'rolled_back', 'failed']),
      from: version.nullable(),
      to: version.nullable(),
      at: z.string(),
      durationMs: z.number(),
    })
    .nullable(),
  checkedAt: timestamp,
});

export const environmentOutput = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  isDefault: z.boolean(),
  connectionId: z.uuid().nullable(),
  autoMigrate: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** Its SQL Server connection (never the password); null when unconfigured. */
  connection: connectionOutput.nullable(),
  migration: schemaStatusOutput.nullable(),
});

export const environmentChoiceOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  isDefault: z.boolean(),
  configured: z.boolean(),
  status: z.enum(connectionStatus.enumValues).nullable(),
});

/** What a save answers: the environment, the test it passed (null when untested) and the migration run it triggered. */
export const saveOutput = z.object({
  environment: environmentOutput,
  test: testResultOutput.nullable(),
  migration: z.object({
    status: z.enum(['applied', 'current', 'failed', 'skipped']),
    version: z.number().int().nullable(),
    applied: z.array(z.object({ version: z.number().int(), name: z.string(), executionMs: z.number() })),
    reason: z.string().optional(),
    error: z
      .object({
        code: z.string(),
        number: z.number().int().nullable(),
        message: z.string(),
        version: version.nullable(),
        line: z.number().int().nullable(),
        problems: z.array(z.object({ kind: z.string(), version, message: z.string() })).optional(),
      })
      .optional(),
  }),
});
