// The environment form: a name, and either an existing connection or the SQL Server connection's
// parameters themselves (host/port/database/user/password/options), validated like connections.create.
import { z } from 'zod';
import { connectionFields, password, testTimeoutMs } from '../connections/_schemas';

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
