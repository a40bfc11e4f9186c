// `pnpm --filter @studio/api bench:sql-editor` (issue 8): what sqlEditor.execute costs over calling
// the same published procedure directly with `mssql` (request.execute with typed parameters). The
// API path is the real one minus HTTP: createCaller → authorisation (membership, grants, default
// environment, decrypted connection settings) → pool manager → parameter discovery in the server's
// catalogue → RPC → typed results → audit row. The SQL Server is the TDS emulator in a child
// process, so neither path pays for it in this process. Closed-loop clients; the two paths
// alternate in slices so machine noise hits both alike.
//
//   BENCH_DURATION_MS   measured time per path per concurrency (default 6000)
//   BENCH_CONCURRENCY   comma-separated client counts (default 1,8)
//   BENCH_ROWS          rows the procedure returns (default 20)
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '@studio/db/password';
import { roles, users, workspaceMembers, workspaces } from '@studio/db/schema';
import { createMigratedDatabase, testTargets } from '@studio/db/testing';
import sql from 'mssql';
import { z } from 'zod';
import { createContextInner } from '../src/context';
import { createLogger } from '../src/logger';
import { appRouter } from '../src/routers/_app';
import { KeyRing } from '../src/services/crypto';
import { closeServices, createServices } from '../src/services/index';
import { OutboundPolicy } from '../src/services/outbound-policy';
import { createCallerFactory } from '../src/trpc';

const config = z
  .object({
    BENCH_DURATION_MS: z.coerce.number().int().min(200).default(6_000),
    BENCH_CONCURRENCY: z
      .string()
      .default('1,8')
      .transform((v) => v.split(',').map((n) => Number(n.trim())))
      .pipe(z.array(z.number().int().min(1).max(200)).min(1)),
    BENCH_ROWS: z.coerce.number().int().min(0).max(1_000).default(20),
  })
  .parse(process.env);

const SLICES = 3;
const SQL_USER = 'bench_app';
const SQL_PASSWORD = 'Bench-Editor-Passw0rd';
const DATABASE = 'bench_editor';

const PROCEDURE = `CREATE PROCEDURE dbo.BenchOrders
  @rows INT,
  @minTotal DECIMAL(10, 2) = 0,
  @matched INT OUTPUT
AS
BEGIN
  SET NOCOUNT ON;
  SELECT TOP (@rows) id, customer, total, placed FROM bench_orders WHERE total >= @minTotal ORDER BY id;
  SELECT @matched = COUNT(*) FROM bench_orders WHERE total >= @minTotal;
  RETURN 0;
END`;

function startSqlServer(): Promise<{ child: ChildProcess; port: number }> {
  const cli = new URL('../../../packages/mssql-emulator/src/cli.ts', import.meta.url);
  const child = fork(cli, ['--port', '0', '--user', SQL_USER, '--password', SQL_PASSWORD, '--database', DATABASE, '--preload'], {
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

interface Sample {
  latenciesMs: number[];
  windowMs: number;
}

/** `clients` closed loops calling `call` for `durationMs`; latencies of calls finished inside the window. */
async function closedLoop(clients: number, durationMs: number, call: () => Promise<unknown>): Promise<Sample> {
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarise(samples: Sample[]) {
  const all = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const windowMs = samples.reduce((sum, s) => sum + s.windowMs, 0);
  return { calls: all.length, perSecond: (all.length / windowMs) * 1000, p50: percentile(all, 50), p95: percentile(all, 95), mean: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length) };
}

async function main(): Promise<void> {
  const { child, port } = await startSqlServer();
  const target = testTargets.find((t) => t.name === 'pglite') ?? testTargets[0]!;
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
  const caller = createCallerFactory(appRouter)(
    createContextInner({ ...services, principal: { kind: 'user', userId: user!.id, username: 'bench_owner', displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } }),
  );
  const workspaceId = workspace!.id;

  const connection = { host: '127.0.0.1', port, database: DATABASE, user: SQL_USER, password: SQL_PASSWORD };
  await caller.environments.create({ workspaceId, name: 'Bench', connection: { ...connection, options: { poolSize: 10 } }, autoMigrate: false });
  const direct = await new sql.ConnectionPool({ server: '127.0.0.1', port, database: DATABASE, user: SQL_USER, password: SQL_PASSWORD, options: { encrypt: false, trustServerCertificate: true }, pool: { max: 10 } }).connect();
  await direct.request().batch(
    `CREATE TABLE bench_orders (id INT PRIMARY KEY, customer NVARCHAR(50) NOT NULL, total DECIMAL(10, 2) NOT NULL, placed DATETIME2(3) NOT NULL);
     INSERT INTO bench_orders (id, customer, total, placed) VALUES ${Array.from({ length: Math.max(config.BENCH_ROWS, 1) }, (_, i) => `(${i + 1}, N'customer ${i + 1}', ${(i * 7.25).toFixed(2)}, '2026-01-01T00:00:00')`).join(', ')}`,
  );
  const created = await caller.sqlEditor.create({ workspaceId, name: 'BenchOrders', sqlDraft: PROCEDURE });
  await caller.sqlEditor.publish({ workspaceId, procedureId: created.id });

  const viaApi = async () => {
    const result = await caller.sqlEditor.execute({ workspaceId, procedureId: created.id, parameters: { rows: config.BENCH_ROWS } });
    if (result.resultSets[0]?.rows.length !== config.BENCH_ROWS) throw new Error('API returned the wrong rows');
  };
  const viaMssql = async () => {
    const result = await direct.request().input('rows', sql.Int, config.BENCH_ROWS).output('matched', sql.Int).execute('[dbo].[BenchOrders]');
    if ((result.recordsets as unknown as unknown[][])[0]?.length !== config.BENCH_ROWS) throw new Error('mssql returned the wrong rows');
  };
  // Warm both paths (pools, JIT, catalogue caches).
  await closedLoop(2, 1_000, viaMssql);
  await closedLoop(2, 1_000, viaApi);

  console.log(`sqlEditor.execute vs mssql request.execute — ${config.BENCH_ROWS} rows + 1 output parameter, ${SLICES} alternating slices, load ${loadavg()[0]!.toFixed(1)}`);
  const table: string[][] = [['clients', 'path', 'calls/s', 'p50 ms', 'p95 ms', 'mean ms', 'ratio (p50)']];
  for (const clients of config.BENCH_CONCURRENCY) {
    const api: Sample[] = [];
    const mssql: Sample[] = [];
    const slice = Math.max(100, Math.floor(config.BENCH_DURATION_MS / SLICES));
    for (let i = 0; i < SLICES; i++) {
      mssql.push(await closedLoop(clients, slice, viaMssql));
      api.push(await closedLoop(clients, slice, viaApi));
    }
    const m = summarise(mssql);
    const a = summarise(api);
    table.push([String(clients), 'mssql direct', m.perSecond.toFixed(0), m.p50.toFixed(2), m.p95.toFixed(2), m.mean.toFixed(2), '1.00']);
    table.push([String(clients), 'sqlEditor.execute', a.perSecond.toFixed(0), a.p50.toFixed(2), a.p95.toFixed(2), a.mean.toFixed(2), (a.p50 / m.p50).toFixed(2)]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));

  await direct.close();
  await closeServices(services, { poolDrainDeadlineMs: 1_000 });
  await testDb.dispose();
  child.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
