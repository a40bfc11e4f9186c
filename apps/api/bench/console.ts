// `pnpm --filter @studio/api bench:console`: what the query console costs over the same query
// straight through the driver, on the machine's PostgreSQL (PG_URL, through `pg`) and on SQL Server
// (the TDS emulator in a child process, through `mssql`). The console path is the real one minus
// HTTP: createCaller → workspace and role (one statement) → connection target (decrypted settings,
// outbound policy) → pool manager → read-only transaction → rows → audit row and history row (one
// statement). Export: console.export's stream (CSV, bounded buffer, driver paused when full)
// against pg's own row stream writing the same CSV. The two paths of each comparison alternate in
// slices so machine noise hits both.
//
//   PG_URL              the PostgreSQL to query (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_DATABASE      the system database: pglite (default, in process) | postgres (a scratch database on DATABASE_URL)
//   BENCH_DURATION_MS   measured time per path per query (default 3000)
//   BENCH_EXPORT_ROWS   rows per export (default 100000)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import sql from 'mssql';
import pg from 'pg';
import { z } from 'zod';
import { csvLine } from '../src/services/console/export';
import { consoleValue } from '../src/services/console/types';
import { ConsoleDownload } from '../src/services/console';
import { benchStudio, closedLoop, printTable, startSqlServer, summarise, type Sample } from './support';

const config = z
  .object({
    PG_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    BENCH_DATABASE: z.enum(['pglite', 'postgres']).default('pglite'),
    BENCH_DURATION_MS: z.coerce.number().int().min(200).default(3_000),
    BENCH_EXPORT_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  })
  .parse(process.env);

const SLICES = 3;
const SQL_SERVER = { user: 'bench_console', password: 'Bench-Console-Passw0rd', database: 'bench_console' };
const BIG = 10_000;

function pgRowsSql(n: number): string {
  return `SELECT g AS id, md5(g::text) AS name, g * 1.5 AS amount FROM generate_series(1, ${n}) AS g`;
}

interface Comparison {
  database: string;
  driver: string;
  rows: number;
  viaDriver: () => Promise<unknown>;
  viaConsole: () => Promise<unknown>;
}

async function compare(c: Comparison, table: string[][]): Promise<void> {
  // Warm both paths by calls, not time: the first console call creates the pool.
  for (let i = 0; i < (c.rows === 1 ? 50 : 5); i++) {
    await c.viaDriver();
    await c.viaConsole();
  }
  const driver: Sample[] = [];
  const viaConsole: Sample[] = [];
  const slice = Math.max(100, Math.floor(config.BENCH_DURATION_MS / SLICES));
  for (let i = 0; i < SLICES; i++) {
    driver.push(await closedLoop(1, slice, c.viaDriver));
    viaConsole.push(await closedLoop(1, slice, c.viaConsole));
  }
  const d = summarise(driver);
  const k = summarise(viaConsole);
  const label = `${c.database} SELECT ${c.rows} row${c.rows === 1 ? '' : 's'}`;
  table.push([label, `${c.driver} direct`, String(d.calls), d.p50.toFixed(2), d.p95.toFixed(2), '1.00']);
  table.push([label, 'console.run', String(k.calls), k.p50.toFixed(2), k.p95.toFixed(2), (k.p50 / d.p50).toFixed(2)]);
}

async function main(): Promise<void> {
  const { child, port } = await startSqlServer(SQL_SERVER);
  const studio = await benchStudio(config.BENCH_DATABASE);
  const { caller, workspaceId } = studio;
  const url = new URL(config.PG_URL);
  const pgConnection = await caller.connections.create({
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
  const mssqlConnection = await caller.connections.create({
    workspaceId,
    name: 'Bench SQL Server',
    type: 'mssql',
    host: '127.0.0.1',
    port,
    database: SQL_SERVER.database,
    user: SQL_SERVER.user,
    password: SQL_SERVER.password,
    // Plaintext on both paths: the emulator's certificate is generated per start and trusted by nobody here.
    options: { poolSize: 4, requestTimeoutMs: 600_000, tls: false },
  });
  const pgRef = { workspaceId, connectionId: pgConnection.id };
  const mssqlRef = { workspaceId, connectionId: mssqlConnection.id };
  const directPg = new pg.Pool({ connectionString: config.PG_URL, max: 4 });
  const directMssql = await new sql.ConnectionPool({
    server: '127.0.0.1',
    port,
    database: SQL_SERVER.database,
    user: SQL_SERVER.user,
    password: SQL_SERVER.password,
    options: { encrypt: false, trustServerCertificate: true },
    pool: { max: 4 },
  }).connect();
  await directMssql.request().batch('CREATE TABLE bench_rows (id INT PRIMARY KEY, name NVARCHAR(40) NOT NULL, amount DECIMAL(12, 2) NOT NULL)');
  for (let from = 1; from <= BIG; from += 1_000) {
    const values = Array.from({ length: 1_000 }, (_, i) => `(${from + i}, N'name ${from + i}', ${((from + i) * 1.5).toFixed(2)})`).join(', ');
    await directMssql.request().batch(`INSERT INTO bench_rows (id, name, amount) VALUES ${values}`);
  }

  const table: string[][] = [['query', 'path', 'calls', 'p50 ms', 'p95 ms', 'ratio (p50)']];
  for (const rows of [1, BIG]) {
    const text = rows === 1 ? "SELECT 1 AS id, md5('1') AS name" : pgRowsSql(rows);
    await compare(
      {
        database: 'PostgreSQL',
        driver: 'pg',
        rows,
        viaDriver: async () => {
          const result = await directPg.query({ text, rowMode: 'array' });
          if (result.rows.length !== rows) throw new Error('pg returned the wrong rows');
        },
        viaConsole: async () => {
          const result = await caller.console.run({ ...pgRef, sql: text, rowLimit: rows });
          if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
        },
      },
      table,
    );
  }
  for (const rows of [1, BIG]) {
    const text = `SELECT TOP (${rows}) id, name, amount FROM bench_rows ORDER BY id`;
    await compare(
      {
        database: 'SQL Server',
        driver: 'mssql',
        rows,
        viaDriver: async () => {
          const result = await directMssql.request().query(text);
          if (result.recordset.length !== rows) throw new Error('mssql returned the wrong rows');
        },
        viaConsole: async () => {
          const result = await caller.console.run({ ...mssqlRef, sql: text, rowLimit: rows });
          if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
        },
      },
      table,
    );
  }

  // Export: rows per second over the whole file, each path writing the same CSV into a counting sink.
  const exportSql = pgRowsSql(config.BENCH_EXPORT_ROWS);
  const exportViaConsole = async () => {
    const download = await caller.console.export({ ...pgRef, sql: exportSql, format: 'csv' });
    if (!(download instanceof ConsoleDownload)) throw new Error('not a download');
    let bytes = 0;
    for await (const chunk of download.open()) bytes += (chunk as Buffer).length;
    return bytes;
  };
  const exportViaDriver = async () => {
    const client = await directPg.connect();
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
    ['PostgreSQL CSV', 'pg row stream', String(config.BENCH_EXPORT_ROWS), median(rates.driver).toFixed(0), '1.00'],
    ['PostgreSQL CSV', 'console.export', String(config.BENCH_EXPORT_ROWS), median(rates.console).toFixed(0), (median(rates.console) / median(rates.driver)).toFixed(2)],
  ];

  console.log(
    `console vs the driver: PostgreSQL on ${url.hostname}:${url.port || 5432}, SQL Server = the TDS emulator (child process); system database ${studio.systemDatabase}; ` +
      `${SLICES} alternating slices, 1 client, load ${loadavg()[0]!.toFixed(1)} (goal: ≤ 1.5× p50 for 1 row, ≤ 1.3× for ${BIG.toLocaleString('en')} rows)`,
  );
  printTable(table);
  console.log('');
  printTable(exportTable);

  await directPg.end();
  await directMssql.close();
  await studio.close();
  child.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
