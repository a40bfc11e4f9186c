// `pnpm --filter @studio/api bench:imports`: a CSV import into the machine's PostgreSQL through the
// real path (createCaller → imports.start → CsvSource → checks → COPY FROM STDIN) against psql's
// \copy of the same file into the same table, and the import process's RSS while a file several
// times larger than the growth budget streams through.
//
//   PG_URL             the PostgreSQL to load (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_ROWS         rows of the timed file, 8 columns (default 1000000)
//   BENCH_RSS_MB       size of the memory run's file in MiB (default 100)
//   BENCH_ROUNDS       timed rounds per path, alternating (default 2)
//   BENCH_PROFILE      a path: the product's timed rounds are CPU-profiled into it (.cpuprofile)
import { execFile } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { createContextInner } from '../src/context';
import { appRouter } from '../src/routers/_app';
import { createCallerFactory } from '../src/trpc';
import { benchStudio, printTable } from './support';

const config = z
  .object({
    PG_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    BENCH_ROWS: z.coerce.number().int().min(1_000).default(1_000_000),
    BENCH_RSS_MB: z.coerce.number().int().min(1).default(100),
    BENCH_ROUNDS: z.coerce.number().int().min(1).default(2),
    BENCH_PROFILE: z.string().optional(),
  })
  .parse(process.env);

const run = promisify(execFile);
const COLUMNS = 'id bigint PRIMARY KEY, qty integer NOT NULL, price numeric(12,2), label text, code varchar(40), day date, at timestamp, flag boolean';
const HEADER = 'id,qty,price,label,code,day,at,flag';

function row(i: number): string {
  const day = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
  return `${i},${i % 1000},${(i % 100000) / 100},"label, number ${i}",C-${i % 9973},${day},${day} 12:${String(i % 60).padStart(2, '0')}:00,${i % 2 === 0 ? 'true' : 'false'}\n`;
}

/** Writes rows until `rows` or `bytes` is reached; answers the file's size and row count. */
async function writeCsv(path: string, limit: { rows?: number; bytes?: number }): Promise<{ bytes: number; rows: number }> {
  const out = createWriteStream(path);
  out.write(`${HEADER}\n`);
  let bytes = HEADER.length + 1;
  let rows = 0;
  while ((limit.rows === undefined || rows < limit.rows) && (limit.bytes === undefined || bytes < limit.bytes)) {
    const line = row(rows + 1);
    rows += 1;
    bytes += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes: (await stat(path)).size, rows };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-imports-'));
  const admin = new pg.Pool({ connectionString: config.PG_URL, max: 1 });
  const schema = `bench_imports_${process.pid}`;
  const studio = await benchStudio('pglite');
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.rows_studio (${COLUMNS})`);
    await admin.query(`CREATE TABLE ${schema}.rows_psql (${COLUMNS})`);
    const url = new URL(config.PG_URL);
    const connection = await studio.caller.connections.create({
      workspaceId: studio.workspaceId,
      name: 'Bench PostgreSQL',
      type: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
      user: decodeURIComponent(url.username) || 'postgres',
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    });
    const project = await studio.caller.projects.create({ workspaceId: studio.workspaceId, name: 'bench', connectionId: connection.id });
    const [owner] = await studio.services.db.query.users.findMany({ columns: { id: true, username: true }, limit: 1 });
    const createCaller = createCallerFactory(appRouter);

    const importFile = async (path: string, table: string, onTick?: () => void) => {
      const ctx = createContextInner({ ...studio.services, principal: { kind: 'user', userId: owner!.id, username: owner!.username, displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } });
      ctx.upload = { stream: createReadStream(path), fileName: 'bench.csv' };
      const timer = onTick ? setInterval(onTick, 50) : undefined;
      const started = await createCaller(ctx).imports.start({ workspaceId: studio.workspaceId, projectId: project.id, table: `${schema}.${table}`, mode: 'replace' });
      await studio.services.imports.settled(started.id);
      clearInterval(timer);
      const done = await studio.services.imports.get(studio.workspaceId, started.id);
      if (done.outcome !== 'succeeded') throw new Error(`import ${done.outcome}: ${done.error?.message ?? ''}`);
      return done;
    };

    const timedFile = join(dir, 'timed.csv');
    const timed = await writeCsv(timedFile, { rows: config.BENCH_ROWS });
    const table: string[][] = [];
    // Warm the pool and the code paths on a small slice first.
    const warm = join(dir, 'warm.csv');
    await writeCsv(warm, { rows: 10_000 });
    await importFile(warm, 'rows_studio');
    // Memory first, right after the warm-up, so the baseline is not a previous run's high-water mark.
    const bigFile = join(dir, 'big.csv');
    const big = await writeCsv(bigFile, { bytes: config.BENCH_RSS_MB * 1024 ** 2 });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const done = await importFile(bigFile, 'rows_studio', () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    console.log(`memory: ${(big.bytes / 1024 ** 2).toFixed(0)} MiB file (${big.rows} rows, ${done.rowsWritten} written): RSS before ${(before / 1024 ** 2).toFixed(0)} MiB, peak ${(peak / 1024 ** 2).toFixed(0)} MiB, growth ${((peak - before) / 1024 ** 2).toFixed(1)} MiB`);
    const studioMs: number[] = [];
    const psqlMs: number[] = [];
    for (let round = 0; round < config.BENCH_ROUNDS; round++) {
      await admin.query(`TRUNCATE ${schema}.rows_psql`);
      let t = performance.now();
      await run('psql', [config.PG_URL, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${schema}.rows_psql FROM '${timedFile}' WITH (FORMAT csv, HEADER true)`], { maxBuffer: 1 << 20 });
      psqlMs.push(performance.now() - t);
      t = performance.now();
      const done = await importFile(timedFile, 'rows_studio');
      studioMs.push(performance.now() - t);
      if (done.rowsWritten !== timed.rows) throw new Error(`wrote ${done.rowsWritten} of ${timed.rows}`);
    }
    const best = (values: number[]) => Math.min(...values);
    table.push(['psql \\copy', String(timed.rows), (timed.bytes / 1024 ** 2).toFixed(1), best(psqlMs).toFixed(0), Math.round(timed.rows / (best(psqlMs) / 1000)).toString(), '1.00']);
    table.push(['imports.start (replace, all-or-nothing)', String(timed.rows), (timed.bytes / 1024 ** 2).toFixed(1), best(studioMs).toFixed(0), Math.round(timed.rows / (best(studioMs) / 1000)).toString(), (best(psqlMs) / best(studioMs)).toFixed(2)]);
    printTable([['path', 'rows', 'MiB', 'best ms', 'rows/s', 'speed vs psql'], ...table], 1);
    console.log(`rounds: psql ${psqlMs.map((ms) => ms.toFixed(0)).join(', ')} ms; studio ${studioMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);

    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
    await studio.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
