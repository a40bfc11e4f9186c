// The API process for bench/sign-in-burst.ts: the real server (startApp) on a scratch PGlite
// folder, seeded, trusting X-Forwarded-For so each simulated client has its own address. Sends its
// URL to the parent over IPC and runs until killed.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app';
import { loadEnv } from '../src/env';
import { createLogger } from '../src/logger';

const dataDir = await mkdtemp(join(tmpdir(), 'studio-bench-sign-in-'));
const app = await startApp(
  loadEnv({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEED_ADMIN_PASSWORD: 'bench-admin-password',
    SEED_USER_PASSWORD: 'bench-user-password',
    DEMO_MSSQL: 'false',
    TRUST_PROXY: process.env.BENCH_TRUST_PROXY ?? 'true',
  }),
  { logger: createLogger('silent'), announce: () => undefined },
);
process.send?.({ url: app.url, dataDir });
