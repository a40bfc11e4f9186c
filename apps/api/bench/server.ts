// The API under benchmark, in its own process so the load generator does not share its event loop:
// the production HTTP front door (createHttpServer + createApiHandler) over real services on a
// fresh system database, with rate limits raised out of the way (the per-token list limit of
// 60/min would otherwise be the only thing measured). Talks to bench/index.ts over IPC.
import type { AddressInfo } from 'node:net';
import { users, workspaceMembers, workspaces, roles } from '@studio/db/schema';
import { createMigratedDatabase, testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { createLogger } from '../src/logger';
import { createApiHandler, createHttpServer, type ReadinessState } from '../src/server';
import { KeyRing } from '../src/services/crypto';
import { closeServices, createServices } from '../src/services/index';
import { OutboundPolicy } from '../src/services/outbound-policy';
import { defaultRateLimits, type RateLimits } from '../src/services/rate-limits';

export interface BenchServerReady {
  type: 'ready';
  url: string;
  token: string;
  workspaceSlug: string;
  database: string;
}

export type BenchServerRequest = { type: 'cpu'; id: number } | { type: 'stop' };
export type BenchServerReply = BenchServerReady | { type: 'cpu'; id: number; usage: NodeJS.CpuUsage } | { type: 'failed'; message: string };

/** Every bucket keeps its limiter (its cost is part of the path) but can never refuse. */
const unlimited = Object.fromEntries(Object.keys(defaultRateLimits).map((bucket) => [bucket, { points: Number.MAX_SAFE_INTEGER, durationSeconds: 1 }])) as RateLimits;

function send(message: BenchServerReply): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const targetName = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'pglite';
  const target = testTargets.find((t) => t.name === targetName);
  if (!target) throw new Error('BENCH_DATABASE=postgres needs DATABASE_URL (a server where a scratch database may be created)');
  const connectionCount = Number(process.env.BENCH_CONNECTIONS ?? 25);

  const testDb = await createMigratedDatabase(target);
  const database = testDb.database;
  const services = await createServices({
    database,
    keyRing: KeyRing.parse(`1:${KeyRing.generateKey()}`),
    outboundPolicy: new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] }),
    logger: createLogger('silent'),
    sessionTtlHours: 24,
    rateLimits: unlimited,
  });

  const db = database.db;
  await db.insert(roles).values({ name: 'User' }).onConflictDoNothing();
  const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'User'));
  const [owner] = await db.insert(users).values({ username: 'bench-owner', passwordHash: 'not-a-login', roleId: role!.id }).returning({ id: users.id });
  const [workspace] = await db.insert(workspaces).values({ name: 'Bench', slug: 'bench', createdBy: owner!.id }).returning({ id: workspaces.id });
  await db.insert(workspaceMembers).values({ workspaceId: workspace!.id, userId: owner!.id, role: 'Owner' });
  for (let i = 0; i < connectionCount; i += 1) {
    await services.connections.create(
      workspace!.id,
      { name: `bench-${String(i).padStart(3, '0')}`, type: 'mssql', host: '10.0.0.10', port: 1433, database: `db${i}`, user: 'svc_bench', password: 'bench-secret' },
      owner!.id,
    );
  }
  const { token } = await services.tokens.create({ workspaceId: workspace!.id, name: 'bench', role: 'Admin', createdBy: owner!.id });

  const state: ReadinessState = { ready: true, startedAt: new Date(), api: createApiHandler(services, { trustProxy: 0 }) };
  const server = createHttpServer(state);
  // 1,000 clients connect in the same instant; the default backlog (511) overflows and the kernel
  // resets the excess (ECONNRESET). Real clients arrive spread out; the bench asks the kernel's max.
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 });
  // Between phases sockets idle longer than Node's 5 s keep-alive; on a loaded machine the server's
  // close can cross a request already sent on that socket (ECONNRESET). Load balancers are told the
  // same: keep the upstream's keep-alive longer than the client's.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeServices(services, { poolDrainDeadlineMs: 1_000 });
    await testDb.dispose();
    process.exit(0);
  };
  process.on('message', (message: BenchServerRequest) => {
    if (message.type === 'cpu') send({ type: 'cpu', id: message.id, usage: process.cpuUsage() });
    if (message.type === 'stop') void stop();
  });
  // The parent died without saying stop: do not linger.
  process.on('disconnect', () => void stop());

  send({ type: 'ready', url: `http://127.0.0.1:${port}`, token, workspaceSlug: 'bench', database: database.describe });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
