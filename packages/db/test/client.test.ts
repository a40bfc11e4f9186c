import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectWithRetry, createDatabase, redactError } from '../src/client';
import { databaseEnvSchema, databaseOptionsFromEnv } from '../src/env';
import { DatabaseConnectionError } from '../src/errors';
import { withSession } from '../src/session';
import { testTargets, type TestDatabase } from '../src/testing';

describe('databaseEnvSchema', () => {
  it('applies defaults and resolves a relative DATA_DIR against the base folder', () => {
    const env = databaseEnvSchema.parse({});
    expect(env).toEqual({
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 10,
      DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
      DATABASE_QUERY_TIMEOUT_MS: 5_000,
      DATABASE_CONNECT_TIMEOUT_MS: 5_000,
      DATABASE_POOL_QUEUE_MAX: 10_000,
      DATABASE_POOL_QUEUE_TIMEOUT_MS: 30_000,
      DATABASE_SSL: 'disable',
      DATABASE_SSL_CA: undefined,
      DATA_DIR: './.data',
    });
    expect(databaseOptionsFromEnv(env, '/repo')).toMatchObject({ url: undefined, dataDir: '/repo/.data' });
    expect(databaseOptionsFromEnv(databaseEnvSchema.parse({ DATA_DIR: '/abs/data' }), '/repo').dataDir).toBe('/abs/data');
  });

  it('treats an empty DATABASE_URL as unset and coerces numbers', () => {
    const env = databaseEnvSchema.parse({ DATABASE_URL: '', DATABASE_POOL_SIZE: '3', DATABASE_SSL: 'require' });
    expect(env).toMatchObject({ DATABASE_URL: undefined, DATABASE_POOL_SIZE: 3, DATABASE_SSL: 'require' });
  });

  it('rejects a bad URL without echoing it', () => {
    const result = databaseEnvSchema.safeParse({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('hunter2');
  });

  it('composes into an app env schema', () => {
    const appEnv = z.object({ ...databaseEnvSchema.shape, PORT: z.coerce.number() });
    expect(appEnv.parse({ PORT: '8080', DATABASE_POOL_SIZE: '4' })).toMatchObject({ PORT: 8080, DATABASE_POOL_SIZE: 4 });
  });
});

describe('connectWithRetry', () => {
  it('retries with capped, jittered backoff, then fails naming the host and never the password', async () => {
    const retries: { attempt: number; delayMs: number; message: string }[] = [];
    const error = await connectWithRetry(
      { url: 'postgres://alice:s3cr%40t-pass@127.0.0.1:1/studio', connectTimeoutMs: 2_000 },
      {
        attempts: 4,
        baseDelayMs: 20,
        maxDelayMs: 50,
        onRetry: ({ attempt, delayMs, error: cause }) => retries.push({ attempt, delayMs, message: cause.message }),
      },
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error).toMatchObject({ code: 'database_unreachable', target: '127.0.0.1:1' });
    const text = `${(error as Error).message} ${(error as Error).stack} ${String((error as Error).cause)}`;
    expect(text).toContain('127.0.0.1:1');
    expect(text).not.toContain('s3cr');
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3]);
    retries.forEach((retry, index) => {
      expect(retry.delayMs).toBeGreaterThanOrEqual(0);
      expect(retry.delayMs).toBeLessThanOrEqual(Math.min(50, 20 * 2 ** index));
    });
  });

  it('redacts a driver message that embeds the URL or its password', () => {
    const url = 'postgres://bob:p%40ss%2Fword@db.internal:5432/app';
    const redacted = redactError(new Error(`failed to connect to ${url} (password p@ss/word)`), url);
    expect(redacted.message).toBe('failed to connect to postgres://bob@db.internal:5432/app (password ***)');
  });
});

describe('embedded PGlite persisted in DATA_DIR', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps data across reopen, and refuses a second open of the same folder', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'studio-pglite-'));
    dirs.push(dataDir);
    const first = await createDatabase({ dataDir });
    expect(first.describe).toBe(`embedded PGlite at ${path.join(dataDir, 'pglite')}`);
    await withSession(first, (session) => session.exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')`));

    await expect(createDatabase({ dataDir })).rejects.toMatchObject({ code: 'data_dir_in_use' });
    await first.close();
    await first.close();

    const second = await connectWithRetry({ dataDir }, { attempts: 2, baseDelayMs: 10 });
    const rows = await withSession(second, (session) => session.query<{ v: string }>('SELECT v FROM kept'));
    expect(rows).toEqual([{ v: 'hello' }]);
    await second.close();
  });

  it('rejects unknown options', async () => {
    await expect(createDatabase({ dataDir: '/tmp/x', poolsize: 3 } as never)).rejects.toMatchObject({
      code: 'invalid_database_options',
    });
  });
});

describe.each(testTargets)('client on $name', (target) => {
  let testDatabase: TestDatabase;
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it('answers through drizzle and describes itself without secrets', async () => {
    testDatabase = await target.create();
    const { database } = testDatabase;
    expect(database.kind).toBe(target.name === 'postgres' ? 'pg' : 'pglite');
    const result = await database.db.execute<{ one: number }>('select 1 as one');
    const rows = Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows;
    expect(rows).toEqual([{ one: 1 }]);
    if (testDatabase.url) expect(database.describe).toBe(testDatabase.url.replace(/:[^:@/]*@/, '@'));
  });

  it.runIf(target.name === 'postgres')('connects with retry and enforces the statement timeout', async () => {
    const database = await connectWithRetry({ url: testDatabase.url!, statementTimeoutMs: 200, poolSize: 2 });
    try {
      await expect(withSession(database, (session) => session.query('select pg_sleep(2)'))).rejects.toMatchObject({
        code: '57014',
      });
    } finally {
      await database.close();
    }
  });
});
