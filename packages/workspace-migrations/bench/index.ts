/**
 * `pnpm --filter @studio/workspace-migrations bench [-- --databases=100 | --quick] [--concurrency=1,4,16] [--backend=postgres]`:
 * apply-all of the packaged migrations to N fresh workspace databases at each concurrency, against
 * the TDS emulator in a child process (its databases on PGlite, or with --backend=postgres on the
 * PostgreSQL server at PG_URL). Between rounds every database is rolled back to empty and
 * its history tables dropped (not timed), so each round migrates N uninitialised databases.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import mssql from 'mssql';
import { migrateAll, WorkspaceMigrator } from '../src/index';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
// 100 is the acceptance figure; opening that many PGlite databases takes minutes on a busy 2-core
// machine (untimed, but waited for), so --quick uses 30.
const DATABASES = Number(arg('databases') ?? (process.argv.includes('--quick') ? 30 : 100));
const CONCURRENCY = (arg('concurrency') ?? '1,4,16').split(',').map(Number);
const BACKEND = arg('backend') ?? 'pglite';
if (BACKEND !== 'pglite' && BACKEND !== 'postgres') throw new Error(`--backend must be pglite or postgres, got '${BACKEND}'`);
if (BACKEND === 'postgres' && !process.env.PG_URL) throw new Error('--backend=postgres needs PG_URL (a server where the role may CREATE DATABASE)');
const names = Array.from({ length: DATABASES }, (_, i) => `ws${String(i + 1).padStart(3, '0')}`);

const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, BENCH_DATABASES: names.join(','), ...(BACKEND === 'postgres' && { BENCH_BACKEND_URL: process.env.PG_URL }) },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { port } = await new Promise<{ port: number }>((resolve, reject) => {
  child.once('message', (m) => resolve(m as { port: number }));
  child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

const configFor = (database: string): mssql.config => ({
  server: '127.0.0.1',
  port,
  user: 'sa',
  password: 'Emulator-Passw0rd!',
  database,
  connectionTimeout: 120_000,
  requestTimeout: 120_000,
  validateConnection: 'socket',
  pool: { max: 2, min: 0 },
  options: { encrypt: false, trustServerCertificate: true },
} as mssql.config);

// Opening a database starts its PGlite (≈1-3 s of CPU): do it once, up front, a few at a time.
const opening = performance.now();
const pools = new Map<string, mssql.ConnectionPool>();
const queue = [...names];
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      pools.set(name, await new mssql.ConnectionPool(configFor(name)).connect());
    }
  }),
);
console.log(`opened ${DATABASES} workspace databases in ${((performance.now() - opening) / 1000).toFixed(1)} s (not timed below)`);

const migrator = new WorkspaceMigrator({ appliedBy: 'bench' });
const latest = (await migrator.migrations()).length;
const poolOf = (name: string) => pools.get(name) as mssql.ConnectionPool;

async function reset(): Promise<void> {
  await migrateAll(names, {
    concurrency: 8,
    run: async (name) => {
      const pool = poolOf(name);
      const { current } = await migrator.validate(pool);
      if (current !== null) await migrator.rollback(pool, { steps: current });
      await pool.request().batch('DROP TABLE IF EXISTS dbo.studio_schema_history; DROP TABLE IF EXISTS dbo.studio_schema_lock;');
      return { dryRun: false, from: null, to: null, applied: [], plan: [], script: '' };
    },
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

// Warm-up (JIT, emulator caches) on a few databases, so concurrency 1 is not measured cold.
await migrateAll(names.slice(0, 10), { concurrency: 4, run: (name) => migrator.migrate(poolOf(name)) });

const rows: string[] = [];
let baseline: number | undefined;
for (const concurrency of CONCURRENCY) {
  await reset();
  const started = performance.now();
  const report = await migrateAll(names, { concurrency, run: (name) => migrator.migrate(poolOf(name)) });
  const seconds = (performance.now() - started) / 1000;
  const okAll = report.results.every((r) => r.ok && r.applied.length === latest);
  if (!okAll) {
    console.error(report.results.filter((r) => !r.ok));
    throw new Error(`concurrency ${concurrency}: not every database was migrated`);
  }
  baseline ??= seconds;
  const durations = report.results.map((r) => r.durationMs);
  rows.push(
    `| ${concurrency} | ${seconds.toFixed(2)} s | ${((seconds * 1000) / DATABASES).toFixed(1)} ms | ${(DATABASES / seconds).toFixed(1)} | ` +
      `${percentile(durations, 50)} / ${percentile(durations, 99)} ms | ${(baseline / seconds).toFixed(2)}× |`,
  );
  console.log(`concurrency ${concurrency}: ${seconds.toFixed(2)} s`);
}

console.log(`\napply-all of ${latest} migrations to ${DATABASES} fresh workspace databases (emulator in a child process, ${BACKEND === 'postgres' ? 'PostgreSQL' : 'PGlite'} backend, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
console.log('| concurrency | total | per database | databases/s | one database p50 / p99 | speed-up vs 1 |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

await Promise.all([...pools.values()].map((pool) => pool.close()));
child.disconnect();
