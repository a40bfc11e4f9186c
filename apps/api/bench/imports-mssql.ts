// Part of `pnpm --filter @studio/api bench:imports`: a CSV import into SQL Server (the TDS emulator,
// in a child process as a server would be) through the real path (createCaller → imports.start →
// CsvSource → checks → bulk load) against a direct `mssql` bulk load of the same rows, built in
// memory with native types (no file to read or check: the baseline is the driver's own speed).
//
//   BENCH_MSSQL_ROWS   rows, 8 columns (default 100000)
//   BENCH_ROUNDS       timed rounds per path, alternating (default 2)
import { createWriteStream, createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sql from 'mssql';
import { z } from 'zod';
import { createContextInner } from '../src/context';
import { appRouter } from '../src/routers/_app';
import { createCallerFactory } from '../src/trpc';
import { benchStudio, printTable, startSqlServer } from './support';

const config = z
  .object({
    BENCH_MSSQL_ROWS: z.coerce.number().int().min(1_000).default(100_000),
    BENCH_ROUNDS: z.coerce.number().int().min(1).default(2),
  })
  .parse(process.env);

const SQL_SERVER = { user: 'bench_imports', password: 'Bench-Imports-Passw0rd', database: 'bench_imports' };
const COLUMNS = 'id BIGINT PRIMARY KEY, qty INT NOT NULL, price DECIMAL(12,2), label NVARCHAR(100), code VARCHAR(40), day DATE, seen DATETIME2(0), flag BIT';
const HEADER = 'id,qty,price,label,code,day,seen,flag';

function fields(i: number) {
  const day = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
  return { id: i, qty: i % 1000, price: (i % 100000) / 100, label: `label, number ${i}`, code: `C-${i % 9973}`, day, at: `${day} 12:${String(i % 60).padStart(2, '0')}:00`, flag: i % 2 === 0 };
}

function line(i: number): string {
  const f = fields(i);
  return `${f.id},${f.qty},${f.price},"${f.label}",${f.code},${f.day},${f.at},${f.flag}\n`;
}

async function writeCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  out.write(`${HEADER}\n`);
  for (let i = 1; i <= rows; i++) if (!out.write(line(i))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return (await stat(path)).size;
}

function directTable(table: string, rows: number): sql.Table {
  const t = new sql.Table(table);
  t.columns.add('id', sql.BigInt, { nullable: false });
  t.columns.add('qty', sql.Int, { nullable: false });
  t.columns.add('price', sql.Decimal(12, 2), { nullable: true });
  t.columns.add('label', sql.NVarChar(100), { nullable: true });
  t.columns.add('code', sql.VarChar(40), { nullable: true });
  t.columns.add('day', sql.Date, { nullable: true });
  t.columns.add('seen', sql.DateTime2(0), { nullable: true });
  t.columns.add('flag', sql.Bit, { nullable: true });
  for (let i = 1; i <= rows; i++) {
    const f = fields(i);
    t.rows.add(f.id, f.qty, f.price, f.label, f.code, new Date(`${f.day}T00:00:00Z`), new Date(`${f.at.replace(' ', 'T')}Z`), f.flag);
  }
  return t;
}

/** CPU ms (user + system) the emulator's process has used so far; NaN where /proc is not there. */
async function childCpuMs(pid: number | undefined): Promise<number> {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in ticks of 1/100 s.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-imports-mssql-'));
  const { child, port } = await startSqlServer(SQL_SERVER);
  const studio = await benchStudio('pglite');
  const direct = await new sql.ConnectionPool({
    server: '127.0.0.1',
    port,
    database: SQL_SERVER.database,
    user: SQL_SERVER.user,
    password: SQL_SERVER.password,
    options: { encrypt: false, trustServerCertificate: true, useUTC: true },
    requestTimeout: 600_000,
    pool: { max: 2 },
  }).connect();
  try {
    await direct.request().batch(`CREATE TABLE rows_studio (${COLUMNS}); CREATE TABLE rows_direct (${COLUMNS})`);
    const connection = await studio.caller.connections.create({
      workspaceId: studio.workspaceId,
      name: 'Bench SQL Server',
      type: 'mssql',
      host: '127.0.0.1',
      port,
      database: SQL_SERVER.database,
      user: SQL_SERVER.user,
      password: SQL_SERVER.password,
      // Plaintext on both paths: the emulator's certificate is generated per start and trusted by nobody here.
      options: { poolSize: 2, requestTimeoutMs: 600_000, tls: false },
    });
    const project = await studio.caller.projects.create({ workspaceId: studio.workspaceId, name: 'bench-mssql', connectionId: connection.id });
    const [owner] = await studio.services.db.query.users.findMany({ columns: { id: true, username: true }, limit: 1 });
    const createCaller = createCallerFactory(appRouter);

    const importFile = async (path: string) => {
      const ctx = createContextInner({ ...studio.services, principal: { kind: 'user', userId: owner!.id, username: owner!.username, displayName: null }, requestMeta: { ip: '127.0.0.1', userAgent: 'bench' } });
      ctx.upload = { stream: createReadStream(path), fileName: 'bench.csv' };
      const started = await createCaller(ctx).imports.start({ workspaceId: studio.workspaceId, projectId: project.id, table: 'dbo.rows_studio', mode: 'insert' });
      await studio.services.imports.settled(started.id);
      const done = await studio.services.imports.get(studio.workspaceId, started.id);
      if (done.outcome !== 'succeeded') throw new Error(`import ${done.outcome}: ${done.error?.message ?? ''}`);
      return done;
    };
    const bulkDirect = async (rows: number) => {
      const tx = new sql.Transaction(direct);
      await tx.begin();
      const result = await new sql.Request(tx).bulk(directTable('rows_direct', rows));
      await tx.commit();
      return result.rowsAffected;
    };

    const file = join(dir, 'timed.csv');
    const bytes = await writeCsv(file, config.BENCH_MSSQL_ROWS);
    const warm = join(dir, 'warm.csv');
    await writeCsv(warm, 5_000);
    await importFile(warm);
    await bulkDirect(5_000);

    const studioMs: number[] = [];
    const directMs: number[] = [];
    // CPU per path in each process: on a shared machine wall time follows the neighbours, CPU much less.
    const cpu = { direct: { api: [] as number[], emulator: [] as number[] }, studio: { api: [] as number[], emulator: [] as number[] } };
    const measured = async (into: { api: number[]; emulator: number[] }, work: () => Promise<void>) => {
      const [api, emulator] = [ownCpuMs(), await childCpuMs(child.pid)];
      await work();
      into.api.push(ownCpuMs() - api);
      into.emulator.push((await childCpuMs(child.pid)) - emulator);
    };
    for (let round = 0; round < config.BENCH_ROUNDS; round++) {
      await direct.request().batch('TRUNCATE TABLE rows_direct; TRUNCATE TABLE rows_studio');
      await measured(cpu.direct, async () => {
        const t = performance.now();
        const loaded = await bulkDirect(config.BENCH_MSSQL_ROWS);
        directMs.push(performance.now() - t);
        if (loaded !== config.BENCH_MSSQL_ROWS) throw new Error(`direct bulk load wrote ${loaded} of ${config.BENCH_MSSQL_ROWS}`);
      });
      await measured(cpu.studio, async () => {
        const t = performance.now();
        const done = await importFile(file);
        studioMs.push(performance.now() - t);
        if (done.rowsWritten !== config.BENCH_MSSQL_ROWS) throw new Error(`import wrote ${done.rowsWritten} of ${config.BENCH_MSSQL_ROWS}`);
      });
    }
    const best = (values: number[]) => Math.min(...values);
    const rows = config.BENCH_MSSQL_ROWS;
    printTable(
      [
        ['path (SQL Server emulator)', 'rows', 'MiB', 'best ms', 'rows/s', 'speed vs mssql'],
        ['mssql request.bulk (rows in memory)', String(rows), (bytes / 1024 ** 2).toFixed(1), best(directMs).toFixed(0), Math.round(rows / (best(directMs) / 1000)).toString(), '1.00'],
        ['imports.start (insert, all-or-nothing)', String(rows), (bytes / 1024 ** 2).toFixed(1), best(studioMs).toFixed(0), Math.round(rows / (best(studioMs) / 1000)).toString(), (best(directMs) / best(studioMs)).toFixed(2)],
      ],
      1,
    );
    const low = (values: number[]) => Math.min(...values).toFixed(0);
    console.log(
      `CPU ms, least of the rounds (API process + emulator): mssql ${low(cpu.direct.api)} + ${low(cpu.direct.emulator)}; studio ${low(cpu.studio.api)} + ${low(cpu.studio.emulator)}`,
    );
    console.log(`rounds: mssql ${directMs.map((ms) => ms.toFixed(0)).join(', ')} ms; studio ${studioMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await direct.close();
    await studio.close();
    child.kill();
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
