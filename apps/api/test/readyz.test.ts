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

  it('answers 503 database_unavailable when the system database is gone', async () => {
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
});
