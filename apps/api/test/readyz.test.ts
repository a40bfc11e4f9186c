// /readyz: ready only while the system database answers and every migration is applied; the
// reason otherwise comes back in the F10 shape with 503.
import { Migrator } from '@studio/db';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

async function readyz(test: TestApp) {
  const response = await fetch(`${test.app.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each(testTargets)('/readyz on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('answers 200 with the applied migrations once started', async () => {
    const { status, body } = await readyz(test);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', migrations: { applied: expect.any(Number) } });
    expect((body.migrations as { applied: number }).applied).toBeGreaterThan(0);
  });

  it('answers 503 naming the pending migration after one is reverted, and 200 again once applied', async () => {
    const migrator = new Migrator(test.app.database);
    const reverted = await migrator.revert();
    expect(reverted).toBeDefined();
    try {
      const { status, body } = await readyz(test);
      expect(status).toBe(503);
      expect(body).toEqual({
        error: 'not_ready',
        message: expect.stringContaining(reverted!.name),
        details: { reason: 'migrations_pending', pending: [reverted!.name] },
      });
    } finally {
      await migrator.migrate();
    }
    expect((await readyz(test)).status).toBe(200);
    // /healthz only says the process is up; it never looked at migrations.
    expect((await fetch(`${test.app.url}/healthz`)).status).toBe(200);
  });

  // On PostgreSQL a pool cannot be closed under a running app (it waits for the LISTEN
  // connection), so there the unavailable database is the hanging one of the next test.
  it.runIf(target.name === 'pglite')('answers 503 database_unavailable when the system database is closed', async () => {
    const other = await startTestApp(target);
    try {
      await other.app.database.close();
      const { status, body } = await readyz(other);
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'not_ready', details: { reason: 'database_unavailable' } });
      expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message']);
    } finally {
      await other.close();
    }
  });

  // PGlite is one connection in this process: nothing else can hold a lock against it.
  it.runIf(target.name === 'postgres')('answers 503 within its deadline when the system database hangs, and 200 once it answers again', async () => {
    const database = test.app.database;
    if (database.kind !== 'pg') throw new Error('expected a PostgreSQL system database');
    const blocker = await database.client.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table "migrations" in access exclusive mode');
      const { status, body } = await readyz(test);
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'not_ready', message: expect.stringContaining('did not answer within'), details: { reason: 'database_unavailable' } });
    } finally {
      await blocker.query('rollback');
      blocker.release();
    }
    expect((await readyz(test)).status).toBe(200);
  });
});
