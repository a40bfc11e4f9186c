// What the in-process API benchmarks share: the system database they run on, a workspace with its
// Owner and a tRPC caller acting as them, the TDS emulator in a child process (so neither path of a
// comparison pays for it in this process), closed-loop clients and the printed table.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '@studio/db/password';
import { roles, users, workspaceMembers, workspaces } from '@studio/db/schema';
import { createMigratedDatabase, testTargets } from '@studio/db/testing';
import { createContextInner } from '../src/context';
import { createLogger } from '../src/logger';
import { appRouter } from '../src/routers/_app';
import { KeyRing } from '../src/services/crypto';
import { closeServices, createServices, type AppServices } from '../src/services/index';
import { OutboundPolicy } from '../src/services/outbound-policy';
import { createCallerFactory } from '../src/trpc';

export type SystemDatabase = 'pglite' | 'postgres';

const callerOf = createCallerFactory(appRouter);

export interface BenchStudio {
  systemDatabase: SystemDatabase;
  services: AppServices;
  caller: ReturnType<typeof callerOf>;
  workspaceId: string;
  close(): Promise<void>;
}

/**
 * Services on a fresh, migrated system database (`pglite` in process, or `postgres`: a scratch
 * database on DATABASE_URL), a workspace `bench` and a caller signed in as its Owner.
 */
export async function benchStudio(systemDatabase: SystemDatabase): Promise<BenchStudio> {
  const target = testTargets.find((t) => t.name === systemDatabase);
  if (!target) throw new Error('BENCH_DATABASE=postgres needs DATABASE_URL (a server where a scratch database may be created)');
  const testDb = await createMigratedDatabase(target);
  const services = await createServices({
    database: testDb.database,
    keyRing: KeyRing.parse(`1:${KeyRing.generateKey()}`),
    outboundPolicy: new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] }),
    logger: createLogger('silent'),
    sessionTtlHours: 24,
  });
  const db = testDb.database.db;
  await db.insert(roles).values({ name: 'User' }).onConflictDoNothing();
  const [role] = await db.select({ id: roles.id }).from(roles);
  const [user] = await db
    .insert(users)
    .values({ username: 'bench_owner', passwordHash: await hashPassword('bench only, never used to sign in'), roleId: role!.id })
    .returning({ id: users.id });
  const [workspace] = await db.insert(workspaces).values({ name: 'Bench', slug: 'bench', createdBy: user!.id }).returning({ id: workspaces.id });
  await db.insert(workspaceMembers).values({ workspaceId: workspace!.id, userId: user!.id, role: 'Owner' });
  const caller = callerOf(
    createContextInner({ ...services, principal: { kind: 'user', userId: user!.id, username: 'bench_owner', displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } }),
  );
  return {
    systemDatabase,
    services,
    caller,
    workspaceId: workspace!.id,
    async close() {
      await closeServices(services, { poolDrainDeadlineMs: 1_000 });
      await testDb.dispose();
    },
  };
}

/** The TDS emulator's CLI in a child process, with one login and one database. */
export function startSqlServer(login: { user: string; password: string; database: string }): Promise<{ child: ChildProcess; port: number }> {
  const cli = new URL('../../../packages/mssql-emulator/src/cli.ts', import.meta.url);
  const child = fork(cli, ['--port', '0', '--user', login.user, '--password', login.password, '--database', login.database, '--preload'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    execArgv: process.execArgv,
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on [^:\s]+:(\d+)/.exec(output);
      if (match) {
        child.removeAllListeners('exit');
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve({ child, port: Number(match[1]) });
      }
    });
  });
}

export interface Sample {
  latenciesMs: number[];
  windowMs: number;
}

/** `clients` closed loops calling `call` for `durationMs`; latencies of calls finished inside the window. */
export async function closedLoop(clients: number, durationMs: number, call: () => Promise<unknown>): Promise<Sample> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await call();
        const t1 = performance.now();
        if (t1 <= end) latenciesMs.push(t1 - t0);
      }
    }),
  );
  return { latenciesMs, windowMs: durationMs };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarise(samples: readonly Sample[]) {
  const all = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const windowMs = samples.reduce((sum, s) => sum + s.windowMs, 0);
  return { calls: all.length, perSecond: (all.length / windowMs) * 1000, p50: percentile(all, 50), p95: percentile(all, 95), mean: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length) };
}

/** Columns padded; the first `textColumns` left-aligned, the rest (numbers) right-aligned. */
export function printTable(rows: readonly string[][], textColumns = 2): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) console.log(row.map((cell, col) => (col < textColumns ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  '));
}
