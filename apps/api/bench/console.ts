// `pnpm --filter @studio/api bench:console`: what the query console costs over the same query
// straight through the driver (`pg`), on the machine's PostgreSQL (PG_URL). The console path is
// the real one minus HTTP: createCaller → authorisation → connection target (decrypted settings,
// outbound policy) → pool manager → read-only transaction → rows → audit row and history row.
// Export: console.export's stream (CSV, bounded buffer, driver paused when full) against pg's own
// row stream writing the same CSV. The two paths alternate in slices so machine noise hits both.
//
//   PG_URL              the PostgreSQL to query (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_DURATION_MS   measured time per path per query (default 3000)
//   BENCH_EXPORT_ROWS   rows per export (default 100000)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '@studio/db/password';
import { roles, users, workspaceMembers, workspaces } from '@studio/db/schema';
import { createMigratedDatabase, testTargets } from '@studio/db/testing';
import pg from 'pg';
import { z } from 'zod';
import { createContextInner } from '../src/context';
import { createLogger } from '../src/logger';
import { appRouter } from '../src/routers/_app';
import { csvLine } from '../src/services/console/export';
import { consoleValue } from '../src/services/console/types';
import { ConsoleDownload } from '../src/services/console';
import { KeyRing } from '../src/services/crypto';
import { closeServices, createServices } from '../src/services/index';
import { OutboundPolicy } from '../src/services/outbound-policy';
import { createCallerFactory } from '../src/trpc';

const config = z
  .object({
    PG_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    BENCH_DURATION_MS: z.coerce.number().int().min(200).default(3_000),
    BENCH_EXPORT_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  })
  .parse(process.env);

const SLICES = 3;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One client calling `call` back to back for `durationMs`. */
async function loop(durationMs: number, call: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t0 = performance.now();
    await call();
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

function rowsSql(n: number): string {
  return `SELECT g AS id, md5(g::text) AS name, g * 1.5 AS amount FROM generate_series(1, ${n}) AS g`;
}

async function main(): Promise<void> {
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
  const [user] = await db.insert(users).values({ username: 'bench_owner', passwordHash: await hashPassword('bench only, never used to sign in'), roleId: role!.id }).returning({ id: users.id });
  const [workspace] = await db.insert(workspaces).values({ name: 'Bench', slug: 'bench', createdBy: user!.id }).returning({ id: workspaces.id });
  await db.insert(workspaceMembers).values({ workspaceId: workspace!.id, userId: user!.id, role: 'Owner' });
  const caller = createCallerFactory(appRouter)(
    createContextInner({ ...services, principal: { kind: 'user', userId: user!.id, username: 'bench_owner', displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } }),
  );
  const workspaceId = workspace!.id;
  const url = new URL(config.PG_URL);
  const connection = await caller.connections.create({
    workspaceId,
    name: 'Bench PostgreSQL',
    type: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(url.username) || 'postgres',
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    options: { poolSize: 4, requestTimeoutMs: 600_000 },
  });
  const ref = { workspaceId, connectionId: connection.id };
  const direct = new pg.Pool({ connectionString: config.PG_URL, max: 4 });

  const table: string[][] = [['query', 'path', 'calls', 'p50 ms', 'p95 ms', 'ratio (p50)']];
  for (const rows of [1, 10_000]) {
    const sql = rows === 1 ? 'SELECT 1 AS id, md5(\'1\') AS name' : rowsSql(rows);
    const viaConsole = async () => {
      const result = await caller.console.run({ ...ref, sql, rowLimit: rows });
      if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
    };
    const viaDriver = async () => {
      const result = await direct.query({ text: sql, rowMode: 'array' });
      if (result.rows.length !== rows) throw new Error('pg returned the wrong rows');
    };
    // Warm both paths by calls, not time: the first console call creates the pool.
    for (let i = 0; i < (rows === 1 ? 50 : 5); i++) {
      await viaDriver();
      await viaConsole();
    }
    const d: number[] = [];
    const c: number[] = [];
    const slice = Math.max(100, Math.floor(config.BENCH_DURATION_MS / SLICES));
    for (let i = 0; i < SLICES; i++) {
      d.push(...(await loop(slice, viaDriver)));
      c.push(...(await loop(slice, viaConsole)));
    }
    d.sort((a, b) => a - b);
    c.sort((a, b) => a - b);
    const label = `SELECT ${rows} row${rows === 1 ? '' : 's'}`;
    table.push([label, 'pg direct', String(d.length), percentile(d, 50).toFixed(2), percentile(d, 95).toFixed(2), '1.00']);
    table.push([label, 'console.run', String(c.length), percentile(c, 50).toFixed(2), percentile(c, 95).toFixed(2), (percentile(c, 50) / percentile(d, 50)).toFixed(2)]);
  }

  // Export: rows per second over the whole file, each path writing the same CSV into a counting sink.
  const exportSql = rowsSql(config.BENCH_EXPORT_ROWS);
  const exportViaConsole = async () => {
    const download = await caller.console.export({ ...ref, sql: exportSql, format: 'csv' });
    if (!(download instanceof ConsoleDownload)) throw new Error('not a download');
    let bytes = 0;
    for await (const chunk of download.open()) bytes += (chunk as Buffer).length;
    return bytes;
  };
  const exportViaDriver = async () => {
    const client = await direct.connect();
    let bytes = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const query = new pg.Query({ text: exportSql, rowMode: 'array' } as pg.QueryConfig);
        query.on('row', (row: unknown[]) => {
          bytes += csvLine(row.map(consoleValue)).length;
        });
        query.on('end', () => resolve());
        query.on('error', reject);
        void client.query(query);
      });
    } finally {
      client.release();
    }
    return bytes;
  };
  await exportViaDriver();
  await exportViaConsole();
  const rates = { driver: [] as number[], console: [] as number[] };
  for (let i = 0; i < SLICES; i++) {
    let t0 = performance.now();
    await exportViaDriver();
    rates.driver.push(config.BENCH_EXPORT_ROWS / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    await exportViaConsole();
    rates.console.push(config.BENCH_EXPORT_ROWS / ((performance.now() - t0) / 1000));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const exportTable = [
    ['export', 'path', 'rows', 'rows/s (median)', 'ratio'],
    ['CSV', 'pg row stream', String(config.BENCH_EXPORT_ROWS), median(rates.driver).toFixed(0), '1.00'],
    ['CSV', 'console.export', String(config.BENCH_EXPORT_ROWS), median(rates.console).toFixed(0), (median(rates.console) / median(rates.driver)).toFixed(2)],
  ];

  console.log(`console vs pg on ${url.hostname}:${url.port || 5432} — ${SLICES} alternating slices, load ${loadavg()[0]!.toFixed(1)} (goal: ≤ 1.5× p50 for 1 row, ≤ 1.3× for 10,000 rows)`);
  for (const rowsOfTable of [table, exportTable]) {
    const widths = rowsOfTable[0]!.map((_, col) => Math.max(...rowsOfTable.map((row) => row[col]!.length)));
    for (const row of rowsOfTable) console.log(row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  '));
    console.log('');
  }

  await direct.end();
  await closeServices(services, { poolDrainDeadlineMs: 1_000 });
  await testDb.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
