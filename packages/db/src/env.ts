import path from 'node:path';
import { z } from 'zod';
import type { DatabaseOptionsInput } from './client';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The system-database part of the environment. A plain `z.object` so an
 * app's env schema can compose it (`z.object({ ...databaseEnvSchema.shape, ... })`).
 * Messages never echo the value: DATABASE_URL may hold a password.
 */
export const databaseEnvSchema = z.object({
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(isPostgresUrl, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL with a host' })
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).default(10)),
  DATABASE_STATEMENT_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  ),
  /** Client-side deadline of one system-database query (the API only; the CLI waits as long as it takes). */
  DATABASE_QUERY_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(5_000)),
  /** Deadline to open a system-database connection. */
  DATABASE_CONNECT_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).max(600_000).default(5_000)),
  /** Calls that may wait for a busy system-database pool; past it they are answered 503 at once. */
  DATABASE_POOL_QUEUE_MAX: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(1_000_000).default(10_000)),
  /** How long one call may wait for a busy system-database pool before a 503 (0 = no limit). */
  DATABASE_POOL_QUEUE_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(30_000)),
  DATABASE_SSL: z.preprocess(emptyToUndefined, z.enum(['disable', 'require', 'verify-full']).default('disable')),
  DATABASE_SSL_CA: z.preprocess(emptyToUndefined, z.string().optional()),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./.data')),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

/**
 * Turns validated env into `createDatabase` options. Relative paths resolve
 * against `baseDir`: pass `process.env.INIT_CWD ?? process.cwd()` so that
 * `pnpm db:migrate` typed at the repo root uses the root's `.data/` even
 * though pnpm runs the script from packages/db.
 */
export function databaseOptionsFromEnv(env: DatabaseEnv, baseDir: string): DatabaseOptionsInput {
  return {
    url: env.DATABASE_URL,
    dataDir: path.resolve(baseDir, env.DATA_DIR),
    poolSize: env.DATABASE_POOL_SIZE,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    queueMax: env.DATABASE_POOL_QUEUE_MAX,
    queueTimeoutMs: env.DATABASE_POOL_QUEUE_TIMEOUT_MS,
    ssl: env.DATABASE_SSL,
    sslCaPath: env.DATABASE_SSL_CA === undefined ? undefined : path.resolve(baseDir, env.DATABASE_SSL_CA),
  };
}
