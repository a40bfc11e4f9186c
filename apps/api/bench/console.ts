// `pnpm --filter @studio/api bench:console`: what the query console costs over the same query
// straight through the driver, on the machine's PostgreSQL (PG_URL, through `pg`) and on SQL Server
// (the TDS emulator in a child process, through `mssql`). Two console paths: in process
// (createCaller → workspace and role (cached per instance) → connection target (cached per
// instance, outbound policy asked) → pool manager → read-only transaction → rows → audit row and
// history row, one statement) and over HTTP (the same through the REST route with an API token, the
// server in this process, a keep-alive client). The floor rows are the cheapest call of each path,
// `health.ping` (a public procedure with a constant answer, no database), through the same caller
// and the same HTTP client: what no console run can avoid. Export: console.export's stream (CSV,
// bounded buffer, driver paused when full) against pg's own row stream writing the same CSV. The
// paths of each comparison alternate in slices so machine noise hits them alike.
//
//   PG_URL              the PostgreSQL to query (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_DATABASE      the system database: pglite (default, in process) | postgres (a scratch database on DATABASE_URL)
//   BENCH_DURATION_MS   measured time per path per query (default 3000)
//   BENCH_EXPORT_ROWS   rows per export (default 100000)
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import sql from 'mssql';
import pg from 'pg';
import { z } from 'zod';
import { csvLine } from '../src/services/console/export';
import { consoleValue } from '../src/services/console/types';
import { ConsoleDownload } from '../src/services/console';
import { createRestHandler } from '../src/rest/handler';
import { createApiHandler, createHttpServer, type ReadinessState } from '../src/server';
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
  /** The console paths, each beside the floor of its transport. */
  viaConsole: { path: string; call: () => Promise<unknown> }[];
}

async function compare(c: Comparison, table: string[][]): Promise<void> {
  // Warm every path by calls, not time: the first console call creates the pool.
  let slowestMs = 0;
  for (let i = 0; i < (c.rows === 1 ? 50 : 5); i++) {
    for (const call of [c.viaDriver, ...c.viaConsole.map((path) => path.call)]) {
      const t0 = performance.now();
      await call();
      slowestMs = Math.max(slowestMs, performance.now() - t0);
    }
  }
  const driver: Sample[] = [];
  const paths: Sample[][] = c.viaConsole.map(() => []);
  // A slice holds several of the slowest warm calls, or a busy machine leaves a path with none.
  const slice = Math.max(100, Math.floor(config.BENCH_DURATION_MS / SLICES), Math.ceil(3 * slowestMs));
  for (let i = 0; i < SLICES; i++) {
    driver.push(await closedLoop(1, slice, c.viaDriver));
    for (const [k, path] of c.viaConsole.entries()) paths[k]!.push(await closedLoop(1, slice, path.call));
  }
  const d = summarise(driver);
  const label = `${c.database} SELECT ${c.rows} row${c.rows === 1 ? '' : 's'}`;
  table.push([label, `${c.driver} direct`, String(d.calls), d.p50.toFixed(2), d.p95.toFixed(2), '1.00']);
  for (const [k, path] of c.viaConsole.entries()) {
    const s = summarise(paths[k]!);
    table.push([label, path.path, String(s.calls), s.p50.toFixed(2), s.p95.toFixed(2), (s.p50 / d.p50).toFixed(2)]);
  }
}

/** One keep-alive connection, one request at a time: the HTTP client of every HTTP row. */
class BenchHttpClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly port: number,
    private readonly token: string,
  ) {}

  /** The answer's status and parsed JSON body (a client reads what it asked for). */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The API's HTTP server (tRPC, REST) on the bench's services, listening on a free port. */
async function listen(services: Parameters<typeof createApiHandler>[0]): Promise<{ port: number; close(): Promise<void> }> {
  const state: ReadinessState = {
    ready: true,
    startedAt: new Date(),
    api: createApiHandler(services, { trustProxy: 0 }),
    rest: createRestHandler(services, { trustProxy: 0 }),
  };
  const server = createHttpServer(state);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
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
  const http = await listen(studio.services);
  const { token } = await studio.services.tokens.create({ workspaceId, name: 'bench-console', role: 'Admin', createdBy: null });
  const client = new BenchHttpClient(http.port, token);
  const queryPath = (connectionId: string) => `/api/v1/workspaces/bench/connections/${connectionId}/query`;
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
  // The floor: the cheapest call through each console path's transport, beside the fastest driver
  // call there is (1 row on PostgreSQL), so the ratio reads as the 1-row rows' do.
  const floorText = "SELECT 1 AS id, md5('1') AS name";
  await compare(
    {
      database: 'floor',
      driver: 'pg',
      rows: 1,
      viaDriver: async () => {
        const result = await directPg.query({ text: floorText, rowMode: 'array' });
        if (result.rows.length !== 1) throw new Error('pg returned the wrong rows');
      },
      viaConsole: [
        {
          path: 'health.ping (in process)',
          call: async () => {
            if ((await caller.health.ping()).ok !== true) throw new Error('health.ping failed');
          },
        },
        {
          // What every audited run waits for after its query: one row committed on the system
          // database (decision 010: no answer before its audit row is durable).
          path: 'audit row committed (system DB)',
          call: () =>
            studio.services.console.recordRun(
              studio.services.audit.rowOf({ actor: null, workspaceId, action: 'console.run', target: { type: 'connection', id: pgConnection.id }, outcome: 'success', details: { bench: 'floor' } }),
              null,
            ),
        },
        {
          path: 'GET /api/v1/health (HTTP)',
          call: async () => {
            const answer = await client.call('GET', '/api/v1/health');
            if (answer.status !== 200) throw new Error(`health answered ${answer.status}`);
          },
        },
      ],
    },
    table,
  );
  for (const row of table.slice(1)) row[0] = 'floor (no console)';
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
        viaConsole: [
          {
            path: 'console.run (in process)',
            call: async () => {
              const result = await caller.console.run({ ...pgRef, sql: text, rowLimit: rows });
              if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
            },
          },
          {
            path: 'POST …/query (HTTP)',
            call: async () => {
              const answer = await client.call('POST', queryPath(pgConnection.id), { sql: text, rowLimit: rows });
              if ((answer.body as { resultSets?: { rows: unknown[] }[] }).resultSets?.[0]?.rows.length !== rows) throw new Error(`REST answered ${answer.status}`);
            },
          },
        ],
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
        viaConsole: [
          {
            path: 'console.run (in process)',
            call: async () => {
              const result = await caller.console.run({ ...mssqlRef, sql: text, rowLimit: rows });
              if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
            },
          },
          {
            path: 'POST …/query (HTTP)',
            call: async () => {
              const answer = await client.call('POST', queryPath(mssqlConnection.id), { sql: text, rowLimit: rows });
              if ((answer.body as { resultSets?: { rows: unknown[] }[] }).resultSets?.[0]?.rows.length !== rows) throw new Error(`REST answered ${answer.status}`);
            },
          },
        ],
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
      `${SLICES} alternating slices, 1 client, load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (goal: ≤ 1.5× p50 for 1 row, ≤ 1.3× for ${BIG.toLocaleString('en')} rows)`,
  );
  printTable(table);
  console.log('');
  printTable(exportTable);

  client.close();
  await http.close();
  await directPg.end();
  await directMssql.close();
  await studio.close();
  child.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
