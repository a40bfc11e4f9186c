import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { users, workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app';
import { loadEnv } from '../src/env';
import { KeyRing } from '../src/services/crypto';
import { createLogger } from '../src/logger';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.each(testTargets)('startApp on $name', (target) => {
  it('migrates, seeds, answers /healthz and closes idempotently', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-app-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let url: string | undefined;
    if (target.name === 'postgres') {
      const fresh = await target.create();
      url = fresh.url;
      await fresh.database.close();
      cleanups.push(() => fresh.dispose());
    }
    const env = loadEnv({
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(url ? { DATABASE_URL: url, AUTO_MIGRATE: 'true', AUTO_SEED: 'true' } : {}),
    });
    const announced: string[] = [];
    const app = await startApp(env, { logger: createLogger('silent'), announce: (line) => announced.push(line) });
    try {
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(200);
      const missing = await fetch(`${app.url}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: 'not_found', details: {} });

      const [workspace] = await app.database.db.select().from(workspaces).where(eq(workspaces.slug, 'twsbp'));
      expect(workspace).toMatchObject({ name: 'TWSBP', memberCount: 2 });
      const [admin] = await app.database.db.select({ hash: users.passwordHash }).from(users).where(eq(users.username, 'admin'));
      expect(admin?.hash).toMatch(/^\$argon2id\$/);
      // The generated password is announced once, and only as an announcement, never hashed into a log.
      expect(announced.join('\n')).toMatch(/admin/);
    } finally {
      await app.close();
      await app.close();
    }
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
  });
});

describe('startApp failures', () => {
  it('fails with a message naming the host, never the password', async () => {
    const env = loadEnv({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'postgres://studio:hunter2-secret@127.0.0.1:1/studio',
      // Given, so no development key file is written into the working tree.
      ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}`,
    });
    const error = await startApp(env, { logger: createLogger('silent') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('127.0.0.1');
    expect((error as Error).message).not.toContain('hunter2-secret');
  }, 90_000);
});
