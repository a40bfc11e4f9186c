import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { users, workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../src/app';
import { DEMO_CONNECTION_NAME, DEMO_ENVIRONMENT_NAME } from '../src/demo';
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
      DEMO_MSSQL_PORT: '0',
      ...(url ? { DATABASE_URL: url, AUTO_MIGRATE: 'true', AUTO_SEED: 'true', ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}` } : {}),
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

async function demoRows(app: RunningApp) {
  const workspace = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
  const envs = await app.services.environments.list(workspace!.id, { limit: 50 });
  const conns = await app.services.connections.list(workspace!.id, { limit: 50 }, { revealUser: true });
  return { workspaceId: workspace!.id, environments: envs.items, connections: conns.items };
}

describe('the demo SQL Server (DEMO_MSSQL)', () => {
  it('starts with the embedded database, registers a connection and default environment once, and answers a test', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-demo-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = loadEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', DEMO_MSSQL_PORT: '0' });
    const first = await startApp(env, { logger: createLogger('silent'), announce: () => undefined });
    let port: number;
    try {
      const rows = await demoRows(first);
      expect(rows.connections).toEqual([expect.objectContaining({ name: DEMO_CONNECTION_NAME, type: 'mssql', host: '127.0.0.1', database: 'twsbp_demo', hasPassword: true })]);
      expect(rows.environments).toEqual([expect.objectContaining({ name: DEMO_ENVIRONMENT_NAME, isDefault: true, connectionId: rows.connections[0]!.id })]);
      port = rows.connections[0]!.port;
      const { id: _id, name: _name, ...settings } = await first.services.connections.settingsOf(rows.workspaceId, rows.connections[0]!.id);
      const result = await first.services.connectionTester.run(settings);
      expect(result, result.message).toMatchObject({ success: true, serverVersion: expect.stringMatching(/SQL Server/) });
      // The base schema (F5) is in the demo database, as after an environment save.
      const scope = await first.services.workspaceMigrations.resolve(rows.workspaceId, rows.environments[0]!.id);
      const schema = await first.services.workspaceMigrations.status(scope);
      expect(schema).toMatchObject({ reachable: true, status: 'current', pending: [] });
      expect(schema.currentVersion).toBe(schema.latestVersion);
    } finally {
      await first.close();
    }
    const credentials = await stat(join(dataDir, 'demo-mssql.json'));
    expect(credentials.mode & 0o777).toBe(0o600);

    // Second start on the same folder: nothing duplicated, the row follows the (new) port.
    const second = await startApp(env, { logger: createLogger('silent'), announce: () => undefined });
    try {
      const rows = await demoRows(second);
      expect(rows.connections).toHaveLength(1);
      expect(rows.environments).toHaveLength(1);
      expect(typeof port).toBe('number');
      const { id: _id, name: _name, ...settings } = await second.services.connections.settingsOf(rows.workspaceId, rows.connections[0]!.id);
      expect((await second.services.connectionTester.run(settings)).success).toBe(true);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('a busy port is a warning, not a failed start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-demo-busy-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const busyPort = (blocker.address() as { port: number }).port;
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    const app = await startApp(loadEnv({ PORT: '0', DATA_DIR: dataDir, DEMO_MSSQL_PORT: String(busyPort) }), { logger, announce: () => undefined });
    try {
      expect(lines.join('')).toMatch(/demo SQL Server not started: the port is in use/);
      expect((await demoRows(app)).connections).toEqual([]);
    } finally {
      await app.close();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 120_000);
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
