// One API instance under benchmark, in its own process so no load generator shares its event loop:
// the production assembly (startApp: /trpc, REST, /metrics, logger, rate limits, NODE_ENV=production)
// on a fresh system database, seeded with a workspace `bench`, its connections and API tokens.
// Rate limits keep their limiter on the path but with limits no benchmark reaches (the per-token
// list limit of 60/min would otherwise be all that is measured), unless BENCH_RATE_LIMITS says
// otherwise. Talks to its parent (bench/instances.ts) over IPC.
//
// The first instance creates the scratch database and seeds it; a second one (BENCH_JOIN) starts
// on the same database and key ring, as a second API process behind a load balancer would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@studio/db/password';
import { roles, users, workspaceMembers, workspaces } from '@studio/db/schema';
import { createMigratedDatabase, testTargets, type TestDatabase } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import type * as AppModule from '../src/app';
import type * as EnvModule from '../src/env';
import type * as LoggerModule from '../src/logger';
import type * as CryptoModule from '../src/services/crypto';
import type * as RateLimitsModule from '../src/services/rate-limits';

// The app comes from BENCH_SRC when set (another commit's src/, see baseline.ts), else from here.
const src = process.env.BENCH_SRC ? `${process.env.BENCH_SRC}/src` : '../src';
const { startApp } = (await import(`${src}/app.ts`)) as typeof AppModule;
const { loadEnv } = (await import(`${src}/env.ts`)) as typeof EnvModule;
const { createLogger } = (await import(`${src}/logger.ts`)) as typeof LoggerModule;
const { KeyRing } = (await import(`${src}/services/crypto.ts`)) as typeof CryptoModule;
const { defaultRateLimits } = (await import(`${src}/services/rate-limits.ts`)) as typeof RateLimitsModule;

/** What a second instance needs to join the first one's database. */
export interface BenchJoin {
  databaseUrl: string;
  encryptionKeys: string;
  token: string;
  spareTokens: BenchToken[];
  workspaceSlug: string;
  workspaceId: string;
}

export interface BenchToken {
  id: string;
  token: string;
}

export interface BenchServerReady {
  type: 'ready';
  url: string;
  /** An Admin API token of workspace `bench`. */
  token: string;
  /** More Admin tokens (revocation checks spend them). */
  spareTokens: BenchToken[];
  workspaceSlug: string;
  workspaceId: string;
  /** Safe to print: `postgres://user@host/db` or `embedded PGlite at …`. */
  database: string;
  rateLimitStore: string;
  /** Set by the instance that created a PostgreSQL database: what BENCH_JOIN wants. */
  join: BenchJoin | undefined;
}

export type BenchServerRequest =
  | { type: 'cpu'; id: number }
  | { type: 'profile-start'; id: number }
  | { type: 'profile-stop'; id: number; file: string }
  | { type: 'revoke'; id: number; tokenId: string }
  | { type: 'stop' };

export type BenchServerReply =
  | BenchServerReady
  | { type: 'cpu'; id: number; usage: NodeJS.CpuUsage; requests: number }
  | { type: 'done'; id: number }
  | { type: 'failed'; message: string };

/** Every bucket at the largest rule RATE_LIMITS accepts, refilled every second: never refuses. */
const unlimited = Object.keys(defaultRateLimits)
  .map((bucket) => `${bucket}=999999999/1`)
  .join(',');

const SPARE_TOKENS = 2;

/** The workspace Owner signs in with it where a check needs a person (revoking a token through the API). */
export const BENCH_OWNER = { username: 'bench-owner', password: 'bench-owner-password, never used elsewhere' };

function send(message: BenchServerReply): void {
  process.send?.(message);
}

interface Seeded {
  token: string;
  spareTokens: BenchToken[];
  workspaceId: string;
}

async function seedWorkspace(app: AppModule.RunningApp, connectionCount: number): Promise<Seeded> {
  const db = app.database.db;
  const { services } = app;
  await db.insert(roles).values({ name: 'User' }).onConflictDoNothing();
  const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'User'));
  const [owner] = await db
    .insert(users)
    .values({ username: BENCH_OWNER.username, passwordHash: await hashPassword(BENCH_OWNER.password), roleId: role!.id })
    .returning({ id: users.id });
  const [workspace] = await db.insert(workspaces).values({ name: 'Bench', slug: 'bench', createdBy: owner!.id }).returning({ id: workspaces.id });
  await db.insert(workspaceMembers).values({ workspaceId: workspace!.id, userId: owner!.id, role: 'Owner' });
  for (let i = 0; i < connectionCount; i += 1) {
    await services.connections.create(
      workspace!.id,
      { name: `bench-${String(i).padStart(3, '0')}`, type: 'mssql', host: '10.0.0.10', port: 1433, database: `db${i}`, user: 'svc_bench', password: 'bench-secret' },
      owner!.id,
    );
  }
  const mint = async (name: string) => {
    const { id, token } = await services.tokens.create({ workspaceId: workspace!.id, name, role: 'Admin', createdBy: owner!.id });
    return { id, token };
  };
  const main = await mint('bench');
  const spareTokens: BenchToken[] = [];
  for (let i = 0; i < SPARE_TOKENS; i += 1) spareTokens.push(await mint(`bench-spare-${i}`));
  return { token: main.token, spareTokens, workspaceId: workspace!.id };
}

async function main(): Promise<void> {
  const join_: BenchJoin | undefined = process.env.BENCH_JOIN ? (JSON.parse(process.env.BENCH_JOIN) as BenchJoin) : undefined;
  const targetName = join_ ? 'postgres' : process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'pglite';
  const connectionCount = Number(process.env.BENCH_CONNECTIONS ?? 25);
  const dataDir = await mkdtemp(join(tmpdir(), 'studio-bench-api-'));

  // PostgreSQL: a scratch database (dropped on stop) the app migrates; PGlite: the app's own folder.
  let scratch: TestDatabase | undefined;
  if (!join_ && targetName === 'postgres') {
    const target = testTargets.find((t) => t.name === 'postgres');
    if (!target) throw new Error('BENCH_DATABASE=postgres needs DATABASE_URL (a server where a scratch database may be created)');
    scratch = await createMigratedDatabase(target);
  }
  const databaseUrl = join_?.databaseUrl ?? scratch?.url;
  const encryptionKeys = join_?.encryptionKeys ?? `1:${KeyRing.generateKey()}`;

  const env = loadEnv({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE,
    ENCRYPTION_KEYS: encryptionKeys,
    AUTO_MIGRATE: join_ ? 'false' : 'true',
    AUTO_SEED: 'false',
    DEMO_MSSQL: 'false',
    // Counters where production keeps them: Redis when configured, else the system database.
    REDIS_URL: process.env.BENCH_REDIS === 'false' ? undefined : process.env.REDIS_URL,
    RATE_LIMITS: process.env.BENCH_RATE_LIMITS ?? unlimited,
  });
  const app = await startApp(env, { logger: createLogger(env.LOG_LEVEL), announce: () => undefined, baseDir: dataDir });
  // Between phases sockets idle longer than Node's 5 s keep-alive; on a loaded machine the server's
  // close can cross a request already sent on that socket (ECONNRESET). Load balancers are told the
  // same: keep the upstream's keep-alive longer than the client's.
  // (A baseline commit's app may not expose its server: it keeps Node's default.)
  if ('server' in app) app.server.keepAliveTimeout = 65_000;
  // Requests answered (or abandoned by their client), from the app's own counter: CPU per request
  // is CPU ÷ this over a phase and its drain.
  const requests = async (): Promise<number> => {
    const metric = app.metrics.registry.getSingleMetric('studio_http_requests_total');
    const { values } = (await metric?.get()) ?? { values: [] };
    return values.reduce((sum, { value }) => sum + value, 0);
  };
  const seeded: Seeded = join_ ?? (await seedWorkspace(app, connectionCount));

  let profiler: Session | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await scratch?.dispose();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('message', (message: BenchServerRequest) => {
    const reply = async (): Promise<void> => {
      switch (message.type) {
        case 'cpu':
          send({ type: 'cpu', id: message.id, usage: process.cpuUsage(), requests: await requests() });
          return;
        case 'profile-start':
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
          send({ type: 'done', id: message.id });
          return;
        case 'profile-stop': {
          const { profile } = await profiler!.post('Profiler.stop');
          profiler!.disconnect();
          profiler = undefined;
          await writeFile(message.file, JSON.stringify(profile));
          send({ type: 'done', id: message.id });
          return;
        }
        case 'revoke':
          await app.services.tokens.revoke(seeded.workspaceId, message.tokenId);
          send({ type: 'done', id: message.id });
          return;
        case 'stop':
          await stop();
      }
    };
    reply().catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
  // The parent died without saying stop: do not linger.
  process.on('disconnect', () => void stop());

  send({
    type: 'ready',
    url: app.url,
    token: seeded.token,
    spareTokens: seeded.spareTokens,
    workspaceSlug: 'bench',
    workspaceId: seeded.workspaceId,
    database: app.database.describe,
    rateLimitStore: app.services.rateLimits.storeName,
    join: databaseUrl === undefined ? undefined : { databaseUrl, encryptionKeys, ...seeded, workspaceSlug: 'bench' },
  });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
