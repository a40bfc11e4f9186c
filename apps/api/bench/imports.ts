// `pnpm --filter @studio/api bench:imports`: a CSV import through the real path (createCaller →
// imports.start → CsvSource → checks or the COPY fast path) into the machine's PostgreSQL against
// psql's \copy of the same file, and into MariaDB against the `mariadb` client's LOAD DATA LOCAL
// INFILE of the same file, alternating in the same run; and the import process's RSS while a file
// several times larger than the growth budget streams through.
//
//   PG_URL             the PostgreSQL to load (default postgres://postgres@127.0.0.1:5432/postgres)
//   MYSQL_URL          the MariaDB/MySQL to load; unset: that part is skipped
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
    MYSQL_URL: z.string().optional(),
    BENCH_ROWS: z.coerce.number().int().min(1_000).default(1_000_000),
    BENCH_RSS_MB: z.coerce.number().int().min(1).default(100),
    BENCH_ROUNDS: z.coerce.number().int().min(1).default(2),
    BENCH_PROFILE: z.string().optional(),
  })
  .parse(process.env);

const run = promisify(execFile);
const COLUMNS = 'id bigint PRIMARY KEY, qty integer NOT NULL, price numeric(12,2), label text, code varchar(40), day date, at timestamp, flag boolean';
const MYSQL_COLUMNS = 'id bigint PRIMARY KEY, qty int NOT NULL, price decimal(12,2), label text, code varchar(40), day date, at datetime, flag boolean';
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
  const mysqlUrl = config.MYSQL_URL ? new URL(config.MYSQL_URL) : undefined;
  const mysqlTables: string[] = [];
  const studio = await benchStudio('pglite');
  const profiler = config.BENCH_PROFILE ? new Session() : undefined;
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.rows_studio (${COLUMNS})`);
    await admin.query(`CREATE TABLE ${schema}.rows_psql (${COLUMNS})`);
    const projectOn = async (name: string, url: URL, type: 'postgres' | 'mysql') => {
      const connection = await studio.caller.connections.create({
        workspaceId: studio.workspaceId,
        name,
        type,
        host: url.hostname,
        port: Number(url.port || (type === 'postgres' ? 5432 : 3306)),
        database: decodeURIComponent(url.pathname.slice(1)) || (type === 'postgres' ? 'postgres' : 'test'),
        user: decodeURIComponent(url.username) || (type === 'postgres' ? 'postgres' : 'root'),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      });
      return studio.caller.projects.create({ workspaceId: studio.workspaceId, name: `bench ${type}`, connectionId: connection.id });
    };
    const project = await projectOn('Bench PostgreSQL', new URL(config.PG_URL), 'postgres');
    const [owner] = await studio.services.db.query.users.findMany({ columns: { id: true, username: true }, limit: 1 });
    const createCaller = createCallerFactory(appRouter);

    const importFile = async (projectId: string, path: string, table: string, onTick?: () => void) => {
      const ctx = createContextInner({ ...studio.services, principal: { kind: 'user', userId: owner!.id, username: owner!.username, displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } });
      ctx.upload = { stream: createReadStream(path), fileName: 'bench.csv' };
      const timer = onTick ? setInterval(onTick, 50) : undefined;
      const started = await createCaller(ctx).imports.start({ workspaceId: studio.workspaceId, projectId, table, mode: 'replace' });
      await studio.services.imports.settled(started.id);
      clearInterval(timer);
      const done = await studio.services.imports.get(studio.workspaceId, started.id);
      if (done.outcome !== 'succeeded') throw new Error(`import ${done.outcome}: ${done.error?.message ?? ''}`);
      return done;
    };
    /** The product's timed import, profiled when BENCH_PROFILE names a file. */
    const timedImport = async (projectId: string, path: string, table: string) => {
      if (profiler) {
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
      }
      const t = performance.now();
      const done = await importFile(projectId, path, table);
      const ms = performance.now() - t;
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        await writeFile(`${config.BENCH_PROFILE}.${table}.cpuprofile`, JSON.stringify(profile));
        profiler.disconnect();
      }
      return { ms, done };
    };

    const timedFile = join(dir, 'timed.csv');
    const timed = await writeCsv(timedFile, { rows: config.BENCH_ROWS });
    const table: string[][] = [];
    // Warm the pool and the code paths on a small slice first.
    const warm = join(dir, 'warm.csv');
    await writeCsv(warm, { rows: 10_000 });
    await importFile(project.id, warm, `${schema}.rows_studio`);
    // Memory first, right after the warm-up, so the baseline is not a previous run's high-water mark.
    const bigFile = join(dir, 'big.csv');
    const big = await writeCsv(bigFile, { bytes: config.BENCH_RSS_MB * 1024 ** 2 });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const done = await importFile(project.id, bigFile, `${schema}.rows_studio`, () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    console.log(`memory: ${(big.bytes / 1024 ** 2).toFixed(0)} MiB file (${big.rows} rows, ${done.rowsWritten} written): RSS before ${(before / 1024 ** 2).toFixed(0)} MiB, peak ${(peak / 1024 ** 2).toFixed(0)} MiB, growth ${((peak - before) / 1024 ** 2).toFixed(1)} MiB`);
    const best = (values: number[]) => Math.min(...values);
    const studioMs: number[] = [];
    const psqlMs: number[] = [];
    for (let round = 0; round < config.BENCH_ROUNDS; round++) {
      await admin.query(`TRUNCATE ${schema}.rows_psql`);
      const t = performance.now();
      await run('psql', [config.PG_URL, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${schema}.rows_psql FROM '${timedFile}' WITH (FORMAT csv, HEADER true)`], { maxBuffer: 1 << 20 });
      psqlMs.push(performance.now() - t);
      const { ms, done } = await timedImport(project.id, timedFile, `${schema}.rows_studio`);
      studioMs.push(ms);
      if (done.rowsWritten !== timed.rows) throw new Error(`wrote ${done.rowsWritten} of ${timed.rows}`);
    }
    const mib = (timed.bytes / 1024 ** 2).toFixed(1);
    const line = (path: string, ms: number[], baseline: number[]) => [path, String(timed.rows), mib, best(ms).toFixed(0), Math.round(timed.rows / (best(ms) / 1000)).toString(), (best(baseline) / best(ms)).toFixed(2)];
    table.push(line('psql \\copy', psqlMs, psqlMs), line('imports.start → PostgreSQL (replace, all-or-nothing; goal ≥ 0.7)', studioMs, psqlMs));
    const rounds = [`psql ${psqlMs.map((ms) => ms.toFixed(0)).join(', ')} ms; studio→pg ${studioMs.map((ms) => ms.toFixed(0)).join(', ')} ms`];

    if (mysqlUrl) {
      const database = decodeURIComponent(mysqlUrl.pathname.slice(1)) || 'test';
      const mysqlArgs = ['-h', mysqlUrl.hostname, '-P', mysqlUrl.port || '3306', '-u', decodeURIComponent(mysqlUrl.username) || 'root', '--local-infile=1', database];
      const mysqlEnv = { ...process.env, ...(mysqlUrl.password ? { MYSQL_PWD: decodeURIComponent(mysqlUrl.password) } : {}) };
      const mysqlExec = (sql: string) => run('mariadb', [...mysqlArgs, '-e', sql], { env: mysqlEnv, maxBuffer: 1 << 20 });
      const [studioTable, clientTable] = [`bench_imports_${process.pid}_studio`, `bench_imports_${process.pid}_client`];
      for (const name of [studioTable, clientTable]) {
        await mysqlExec(`CREATE TABLE ${name} (${MYSQL_COLUMNS}) ENGINE=InnoDB`);
        mysqlTables.push(name);
      }
      const dropTables = () => mysqlExec(`DROP TABLE IF EXISTS ${mysqlTables.join(', ')}`);
      try {
        const mysqlProject = await projectOn('Bench MariaDB', mysqlUrl, 'mysql');
        await importFile(mysqlProject.id, warm, studioTable);
        const clientMs: number[] = [];
        const studioMyMs: number[] = [];
        for (let round = 0; round < config.BENCH_ROUNDS; round++) {
          await mysqlExec(`TRUNCATE TABLE ${clientTable}`);
          const t = performance.now();
          // One transaction, as the product's run is; the client's file format matches the bench file.
          await mysqlExec(`SET autocommit=0; LOAD DATA LOCAL INFILE '${timedFile}' INTO TABLE ${clientTable} FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES (id, qty, price, label, code, day, at, @flag) SET flag = (@flag = 'true'); COMMIT`);
          clientMs.push(performance.now() - t);
          // Both load into an empty table: replace over a full one would also time a DELETE of its
          // rows (TRUNCATE would commit on its own), which the client's load does not do.
          await mysqlExec(`TRUNCATE TABLE ${studioTable}`);
          const { ms, done } = await timedImport(mysqlProject.id, timedFile, studioTable);
          studioMyMs.push(ms);
          if (done.rowsWritten !== timed.rows) throw new Error(`wrote ${done.rowsWritten} of ${timed.rows} into MariaDB`);
        }
        table.push(line('mariadb LOAD DATA LOCAL INFILE', clientMs, clientMs), line('imports.start → MariaDB (replace, all-or-nothing; goal ≥ 0.5)', studioMyMs, clientMs));
        rounds.push(`mariadb client ${clientMs.map((ms) => ms.toFixed(0)).join(', ')} ms; studio→mariadb ${studioMyMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
      } finally {
        await dropTables().catch(() => undefined);
      }
    } else {
      console.log('MYSQL_URL not set: the MariaDB comparison is skipped');
    }
    printTable([['path', 'rows', 'MiB', 'best ms', 'rows/s', 'speed vs baseline'], ...table], 1);
    console.log(`rounds: ${rounds.join('; ')}`);
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
