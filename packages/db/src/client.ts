import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { z } from 'zod';
import { installCheckoutQueue, type CheckoutQueueStats } from './checkout-queue';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock';
import { DatabaseConnectionError, StudioDbError } from './errors';
import { describeUrl, hostOf, redactUrl } from './redact';
import * as schema from './schema/index';

/** The drizzle database every caller uses, whichever driver is underneath. */
export type StudioDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

export const databaseOptionsSchema = z.strictObject({
  /** postgres:// URL of a real server. When unset, an embedded PGlite is used. */
  url: z.string().min(1).optional(),
  /** DATA_DIR: PGlite is persisted in `<dataDir>/pglite`. Unset (and no url) = in-memory PGlite, for tests. */
  dataDir: z.string().min(1).optional(),
  poolSize: z.number().int().min(1).max(500).default(10),
  statementTimeoutMs: z.number().int().min(0).default(30_000),
  /**
   * Client-side deadline of one query, queue time included; 0 = none. The server's
   * statement_timeout cannot fire when the server is frozen or the network drops packets, so the
   * API sets this; the CLI (long migrations, restores) leaves it off.
   */
  queryTimeoutMs: z.number().int().min(0).default(0),
  /** Deadline to open a connection (waiting for a busy pool is `queueMax` / `queueTimeoutMs`). */
  connectTimeoutMs: z.number().int().min(1).default(10_000),
  /** Callers that may wait for a connection when all `poolSize` are busy; past it, `PoolBusyError`. */
  queueMax: z.number().int().min(0).default(10_000),
  /** How long one caller may wait for a busy pool before a `PoolBusyError`; 0 = no limit. */
  queueTimeoutMs: z.number().int().min(0).default(30_000),
  idleTimeoutMs: z.number().int().min(0).default(30_000),
  ssl: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  /** PEM file of the CA that signed the server certificate (verify-full). */
  sslCaPath: z.string().min(1).optional(),
  applicationName: z.string().min(1).max(63).default('studio'),
  /** Errors of idle pooled connections (the pool drops them and reconnects). Messages are redacted. */
  onPoolError: z.custom<(error: Error) => void>((value) => typeof value === 'function').optional(),
});

export type DatabaseOptionsInput = z.input<typeof databaseOptionsSchema>;
export type DatabaseOptions = z.output<typeof databaseOptionsSchema>;

interface DatabaseCommon {
  readonly db: StudioDatabase;
  /** Where the data lives, safe to log: `postgres://user@host:5432/db` or `embedded PGlite at <dir>`. */
  readonly describe: string;
  /** Ends the pool or closes PGlite (and releases its data folder). Idempotent. */
  close(): Promise<void>;
}

export interface PgDatabaseHandle extends DatabaseCommon {
  readonly kind: 'pg';
  readonly client: pg.Pool;
  /** The checkout queue in front of the pool (checkout-queue.ts). */
  readonly checkouts: CheckoutQueueStats;
}

export interface PgliteDatabaseHandle extends DatabaseCommon {
  readonly kind: 'pglite';
  readonly client: PGlite;
  /** Folder PGlite persists to; undefined when in memory. */
  readonly dataDir: string | undefined;
}

export type Database = PgDatabaseHandle | PgliteDatabaseHandle;

export function parseDatabaseOptions(input: DatabaseOptionsInput): DatabaseOptions {
  const parsed = databaseOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const target = input.url ? describeUrl(input.url) : (input.dataDir ?? 'in-memory PGlite');
    throw new DatabaseConnectionError(
      'invalid_database_options',
      target,
      `invalid system database options: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * Opens the system database: a `pg` pool when `url` is set, else an embedded
 * PGlite. Opening a pool does not connect yet; use `connectWithRetry` at
 * startup to validate the connection.
 */
export async function createDatabase(input: DatabaseOptionsInput): Promise<Database> {
  const options = parseDatabaseOptions(input);
  return options.url ? createPgDatabase(options, options.url) : createPgliteDatabase(options);
}

function sslConfig(options: DatabaseOptions): pg.PoolConfig['ssl'] {
  switch (options.ssl) {
    case 'disable':
      return false;
    case 'require':
      // Encrypted but unauthenticated, like libpq's sslmode=require.
      return { rejectUnauthorized: false };
    case 'verify-full':
      return {
        rejectUnauthorized: true,
        ...(options.sslCaPath ? { ca: readFileSync(options.sslCaPath, 'utf8') } : {}),
      };
  }
}

function createPgDatabase(options: DatabaseOptions, url: string): PgDatabaseHandle {
  const describe = describeUrl(url);
  let ssl: pg.PoolConfig['ssl'];
  try {
    ssl = sslConfig(options);
  } catch (error) {
    throw new DatabaseConnectionError(
      'invalid_database_options',
      describe,
      `cannot read DATABASE_SSL_CA file ${options.sslCaPath ?? ''}: ${(error as Error).message}`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs === 0 ? undefined : options.statementTimeoutMs,
    query_timeout: options.queryTimeoutMs === 0 ? undefined : options.queryTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    application_name: options.applicationName,
    ssl,
    // Idle pooled connections must not keep a CLI or test process alive.
    allowExitOnIdle: true,
  });
  const checkouts = installCheckoutQueue(pool, { max: options.poolSize, queueMax: options.queueMax, queueTimeoutMs: options.queueTimeoutMs });
  // Without a listener an idle client's error would crash the process.
  pool.on('error', (error) => options.onPoolError?.(redactError(error, url)));
  // A checked-out client has no pool listener: a server that goes away between two statements of
  // a transaction (FATAL 57P01 on shutdown) would be an uncaught 'error' and end the process. The
  // client is no longer queryable afterwards, so its next statement fails and the pool drops it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  if (options.queryTimeoutMs > 0) pool.on('connect', dropConnectionOnReadTimeout);
  // drizzle's node-postgres and PGlite databases differ only in their raw result type.
  const db = drizzlePg({ client: pool, schema }) as unknown as StudioDatabase;
  let closing: Promise<void> | undefined;
  return {
    kind: 'pg',
    db,
    client: pool,
    checkouts,
    describe,
    close: () => (closing ??= pool.end()),
  };
}

/** What node-postgres rejects a query with when `query_timeout` passes. */
export const QUERY_READ_TIMEOUT_MESSAGE = 'Query read timeout';

/**
 * node-postgres gives up on a timed-out query but keeps its connection, with the late answer (or
 * nothing, if the server hangs) still owed on it: a transaction's ROLLBACK would queue behind it
 * and wait a second deadline, and the connection would go back to the pool. Cutting the socket
 * fails everything queued on it at once, and the pool drops a client that has ended.
 */
function dropConnectionOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const destroy = (error: unknown): void => {
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT_MESSAGE) {
      // `connection.stream` is node-postgres' socket; not in its types, stable since pg 7.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    }
  };
  // Overriding the method (not subclassing Client) keeps pg.Pool's own client class and events.
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as (error: unknown, result: unknown) => void;
      return query(...args.slice(0, -1), (error: unknown, result: unknown) => {
        destroy(error);
        callback(error, result);
      });
    }
    const result = query(...args);
    if (result instanceof Promise) result.catch(destroy);
    return result;
  };
}

async function createPgliteDatabase(options: DatabaseOptions): Promise<PgliteDatabaseHandle> {
  const dataDir = options.dataDir ? path.join(options.dataDir, 'pglite') : undefined;
  const describe = dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite (in memory)';
  let lock: DataDirLock | undefined;
  let client: PGlite;
  try {
    if (options.dataDir && dataDir) {
      await mkdir(dataDir, { recursive: true });
      lock = await acquireDataDirLock(options.dataDir);
    }
    client = new PGlite(dataDir);
    await client.waitReady;
  } catch (error) {
    await lock?.release();
    if (error instanceof StudioDbError) throw error;
    throw new DatabaseConnectionError('database_unreachable', describe, `cannot open ${describe}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = drizzlePglite({ client, schema }) as unknown as StudioDatabase;
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    db,
    client,
    dataDir,
    describe,
    close: () =>
      (closing ??= (async () => {
        try {
          if (!client.closed) await client.close();
        } finally {
          await lock?.release();
        }
      })()),
  };
}

export const connectRetrySchema = z.strictObject({
  /** Total tries, the first included. */
  attempts: z.number().int().min(1).default(6),
  baseDelayMs: z.number().int().min(0).default(250),
  maxDelayMs: z.number().int().min(0).default(10_000),
  /** Called before each wait; `error` is already redacted. */
  onRetry: z
    .custom<(info: { attempt: number; delayMs: number; error: Error }) => void>((value) => typeof value === 'function')
    .optional(),
});

export type ConnectRetryOptions = z.input<typeof connectRetrySchema>;

// SQLSTATEs retrying cannot fix: wrong password, no such role, no such database.
const PERMANENT_SQLSTATES = new Set(['28P01', '28000', '3D000', '42501']);

/**
 * Opens the database and proves it answers `select 1`, retrying with
 * exponential backoff and full jitter (delay = random(0, min(max, base·2ⁿ))).
 * Fails with a `DatabaseConnectionError` naming the host (never the password).
 */
export async function connectWithRetry(input: DatabaseOptionsInput, retryInput: ConnectRetryOptions = {}): Promise<Database> {
  const retry = connectRetrySchema.parse(retryInput);
  const options = parseDatabaseOptions(input);
  const target = options.url ? hostOf(options.url) : (options.dataDir ? path.join(options.dataDir, 'pglite') : 'in-memory PGlite');
  let lastError: Error = new Error('no attempt made');
  for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
    let database: Database | undefined;
    try {
      database = await createDatabase(options);
      await validate(database);
      return database;
    } catch (error) {
      await database?.close().catch(() => undefined);
      lastError = redactError(error, options.url);
      const code = (error as { code?: unknown }).code;
      const permanent =
        (typeof code === 'string' && PERMANENT_SQLSTATES.has(code)) ||
        (error instanceof StudioDbError && error.code === 'invalid_database_options');
      if (permanent || attempt === retry.attempts) break;
      const delayMs = Math.round(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
      retry.onRetry?.({ attempt, delayMs, error: lastError });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  if (lastError instanceof DatabaseConnectionError && lastError.code !== 'database_unreachable') throw lastError;
  throw new DatabaseConnectionError(
    'database_unreachable',
    target,
    `cannot connect to the system database at ${target}: ${lastError.message}`,
    { cause: lastError },
  );
}

async function validate(database: Database): Promise<void> {
  // Narrowed per driver: the union of pg's and PGlite's query overloads is not callable.
  if (database.kind === 'pg') {
    await database.client.query('select 1');
  } else {
    await database.client.query('select 1');
  }
}

/**
 * A copy of `error` whose message and stack cannot contain the URL's
 * password; keeps `code` so callers can still branch on SQLSTATE.
 */
export function redactError(error: unknown, url: string | undefined): Error {
  if (error instanceof StudioDbError) return error;
  const original = error instanceof Error ? error : new Error(String(error));
  const message = redactUrl(original.message || String((original as { code?: unknown }).code ?? 'unknown error'), url);
  const copy = new Error(message);
  copy.name = original.name;
  copy.stack = redactUrl(original.stack ?? '', url);
  const code = (original as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}
