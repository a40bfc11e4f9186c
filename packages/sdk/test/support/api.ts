// The real API for SDK tests: `startApp` on a fresh system database (a PGlite data folder, or a new
// PostgreSQL database when the target is `postgres`), listening on a free port, seeded with the
// `admin` user. Nothing is stubbed: the SDK speaks HTTP to the same server `pnpm start` runs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, startApp, type RunningApp } from '@studio/api';
import type { TestTarget } from '@studio/db/testing';
import { createClient, type StudioClient } from '../../src/index';

export const ADMIN_PASSWORD = 'sdk-test-admin-password';

export interface TestApi {
  app: RunningApp;
  url: string;
  /** The seeded `admin` (Owner of workspace `twsbp`), signed in over HTTP; its Cookie header value. */
  adminCookie: string;
  admin: StudioClient;
  /** Mints an API token for workspace `twsbp` through the API, as the admin. */
  token(role: 'Owner' | 'Admin' | 'Member' | 'Viewer'): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

let tokenCount = 0;

export async function startTestApi(target: TestTarget): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'studio-sdk-'));
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (target.name === 'postgres') {
    const fresh = await target.create();
    databaseUrl = fresh.url;
    await fresh.database.close();
    dropDatabase = () => fresh.dispose();
  }
  const env = loadEnv({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SEED_USER_PASSWORD: 'sdk-test-user-password',
    DEMO_MSSQL: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, AUTO_MIGRATE: 'true', AUTO_SEED: 'true', ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64')}` } : {}),
  });
  const app = await startApp(env, { announce: () => undefined });

  let adminCookie = '';
  const anonymous = createClient({
    url: app.url,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const session = response.headers.getSetCookie().find((line) => line.startsWith('studio_session='));
      if (session) adminCookie = session.split(';')[0]!;
      return response;
    },
  });
  await anonymous.auth.signIn.mutate({ username: 'admin', password: ADMIN_PASSWORD });
  const admin = createClient({ url: app.url, cookie: adminCookie });

  return {
    app,
    url: app.url,
    adminCookie,
    admin,
    async token(role) {
      tokenCount += 1;
      const created = await admin.tokens.create.mutate({ workspaceSlug: 'twsbp', name: `sdk-${role}-${tokenCount}`, role });
      return { id: created.id, token: created.token };
    },
    async close() {
      await app.close();
      await dropDatabase?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
