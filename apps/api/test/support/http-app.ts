// A real API process for the HTTP-level tests (REST, /readyz, /metrics, OIDC): startApp on a fresh
// PGlite data folder or a fresh PostgreSQL database, migrated and seeded, listening on a free port.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestTarget } from '@studio/db/testing';
import type { WorkspaceRole } from '@studio/db/schema';
import { startApp, type RunningApp, type StartAppOptions } from '../../src/app';
import { loadEnv } from '../../src/env';
import { createLogger } from '../../src/logger';
import { KeyRing } from '../../src/services/crypto';

export interface TestApp {
  app: RunningApp;
  /** Mints an API token for the seeded workspace `twsbp` with `role`. */
  token(role: WorkspaceRole, name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestApp(target: TestTarget, env: Record<string, string> = {}, options: Pick<StartAppOptions, 'fallback'> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'studio-http-app-'));
  let dispose: (() => Promise<void>) | undefined;
  let url: string | undefined;
  if (target.name === 'postgres') {
    const fresh = await target.create();
    url = fresh.url;
    await fresh.database.close();
    dispose = () => fresh.dispose();
  }
  const app = await startApp(
    loadEnv({
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEED_ADMIN_PASSWORD: 'http-app-admin-password',
      SEED_USER_PASSWORD: 'http-app-user-password',
      DEMO_MSSQL: 'false',
      ...(url ? { DATABASE_URL: url, AUTO_MIGRATE: 'true', AUTO_SEED: 'true', ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}` } : {}),
      ...env,
    }),
    { logger: createLogger('silent'), announce: () => undefined, ...options },
  );
  let count = 0;
  return {
    app,
    async token(role, name) {
      const workspace = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
      if (!workspace) throw new Error('the seeded workspace twsbp is missing');
      count += 1;
      const created = await app.services.tokens.create({ workspaceId: workspace.id, name: name ?? `test-${role}-${count}`, role, createdBy: null });
      return created.token;
    },
    async close() {
      await app.close();
      await dispose?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
