// `pnpm --filter @studio/api bench:console`: what the query console costs over the same query
// straight through the driver, on the machine's PostgreSQL (PG_URL, through `pg`) and on SQL Server
// (the TDS emulator in a child process, through `mssql`). Two console paths: in process
// (createCaller → workspace and role (cached per instance) → connection target (cached per
// instance, outbound policy asked) → pool manager → read-only transaction → rows → audit row and
// history row, one statement) and over HTTP (the same through the REST route with an API token, the
// server in this process, a keep-alive client). Beside them, in the same alternating slices, what
// no run through those paths can avoid: the read-only run as the console sends it, straight through
// the driver; one audit row committed on the system database (decision 010); the cheapest HTTP call
// (`GET /api/v1/health`); the answer's JSON written and read back. A last table adds these up into
// the least ratio each path could reach in the run. Export: console.export's stream (CSV, bounded
// buffer, driver paused when full) against pg's own row stream writing the same CSV. The paths of
// each comparison alternate in slices so machine noise hits them alike.
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
import { wrappedReadOnly as mssqlReadOnly } from '../src/services/console/run-mssql';
import { wrappedReadOnly as pgReadOnly } from '../src/services/console/run-postgres';
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

/** The floor paths (no console): one audit row committed, the HTTP round trip, the answer's JSON. */
const AUDIT_FLOOR = 'audit row committed (system DB)';
const HTTP_FLOOR = 'GET /api/v1/health (HTTP)';
const JSON_FLOOR = 'its answer as JSON, written + read';
const READ_ONLY_DRIVER = 'read-only as the console sends it (driver)';
const IN_PROCESS = 'console.run (in process)';
const OVER_HTTP = 'POST …/query (HTTP)';

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

/** p50 of each path of a comparison, by its name (the driver's under `driver`). */
type Medians = Map<string, number>;

async function compare(c: Comparison, table: string[][]): Promise<Medians> {
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
  const medians: Medians = new Map([['driver', d.p50]]);
  const label = `${c.database} SELECT ${c.rows} row${c.rows === 1 ? '' : 's'}`;
  table.push([label, `${c.driver} direct`, String(d.calls), d.p50.toFixed(2), d.p95.toFixed(2), '1.00']);
  for (const [k, path] of c.viaConsole.entries()) {
    const s = summarise(paths[k]!);
    medians.set(path.path, s.p50);
    table.push([label, path.path, String(s.calls), s.p50.toFixed(2), s.p95.toFixed(2), (s.p50 / d.p50).toFixed(2)]);
  }
  return medians;
}

/**
 * The REST answer of `fetchAnswer` serialised, encoded and parsed back, with no query and no HTTP:
 * what answering in JSON costs whatever the server does, where the driver hands over its rows as
 * they are.
 */
async function jsonFloor(fetchAnswer: () => Promise<{ status: number; body: unknown }>): Promise<{ path: string; call: () => Promise<unknown> }> {
  const { status, body } = await fetchAnswer();
  if (status !== 200) throw new Error(`REST answered ${status}`);
  return { path: JSON_FLOOR, call: async () => JSON.parse(Buffer.from(JSON.stringify(body)).toString('utf8')) as unknown };
}

/**
 * The least ratio each console path could reach in this run: the read-only run as the console
 * sends it, straight through the driver (issue 15's read-only: a transaction the database enforces
 * or that is always rolled back), plus the floors no run through that path avoids (decision 010's
 * committed audit row; over HTTP also the round trip and the answer's JSON), p50s added, over the
 * plain driver call. A goal below it is out of reach here, whatever the console does between them.
 */
function leastRatios(measured: readonly { database: string; rows: number; medians: Medians }[]): string[][] {
  const table = [['query', 'path', 'driver p50 ms', 'what no run avoids (p50 ms)', 'least ratio', 'measured', 'goal']];
  for (const { database, rows, medians } of measured) {
    const audit = medians.get(AUDIT_FLOOR)!;
    const http = medians.get(HTTP_FLOOR)!;
    const driver = medians.get('driver')!;
    const readOnly = medians.get(READ_ONLY_DRIVER)!;
    const json = medians.get(JSON_FLOOR)!;
    const goal = rows === 1 ? 1.5 : 1.3;
    const paths: [string, [string, number][]][] = [
      [IN_PROCESS, [['read-only', readOnly], ['audit', audit]]],
      [OVER_HTTP, [['read-only', readOnly], ['audit', audit], ['HTTP', http], ['JSON', json]]],
    ];
    for (const [path, floors] of paths) {
      const least = floors.reduce((sum, [, ms]) => sum + ms, 0) / driver;
      table.push([
        `${database} SELECT ${rows} row${rows === 1 ? '' : 's'}`,
        path,
        driver.toFixed(2),
        floors.map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(' + '),
        least.toFixed(2),
        (medians.get(path)! / driver).toFixed(2),
        `≤ ${goal}`,
      ]);
    }
  }
  return table;
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
  // The floors, measured in each comparison's slices so the same moments of the machine weigh on
  // them: what a run through each path cannot avoid beside its query (no console code involved).
  const floors = [
    {
      // One row committed on the system database: every audited run waits for it after its query
      // (decision 010: no answer before its audit row is durable). Audit row only, without the
      // history entry a person's run adds: the cheaper write, so the bound stays a lower one.
      path: AUDIT_FLOOR,
      call: () =>
        studio.services.console.recordRun(
          studio.services.audit.rowOf({ actor: null, workspaceId, action: 'console.run', target: { type: 'connection', id: pgConnection.id }, outcome: 'success', details: { bench: 'floor' } }),
          null,
        ),
    },
    {
      // The cheapest call over the same HTTP client: a constant answer, no database.
      path: HTTP_FLOOR,
      call: async () => {
        const answer = await client.call('GET', '/api/v1/health');
        if (answer.status !== 200) throw new Error(`health answered ${answer.status}`);
      },
    },
  ];
  const measured: { database: string; rows: number; medians: Medians }[] = [];
  for (const rows of [1, BIG]) {
    const text = rows === 1 ? "SELECT 1 AS id, md5('1') AS name" : pgRowsSql(rows);
    const medians = await compare(
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
            // The same read-only transaction, round trip and rows, straight through the driver.
            path: READ_ONLY_DRIVER,
            call: async () => {
              const results = (await directPg.query({ text: pgReadOnly(text), rowMode: 'array' })) as unknown as pg.QueryResult[];
              if (results[2]?.rows.length !== rows) throw new Error('pg returned the wrong rows');
            },
          },
          {
            path: IN_PROCESS,
            call: async () => {
              const result = await caller.console.run({ ...pgRef, sql: text, rowLimit: rows });
              if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
            },
          },
          {
            path: OVER_HTTP,
            call: async () => {
              const answer = await client.call('POST', queryPath(pgConnection.id), { sql: text, rowLimit: rows });
              if ((answer.body as { resultSets?: { rows: unknown[] }[] }).resultSets?.[0]?.rows.length !== rows) throw new Error(`REST answered ${answer.status}`);
            },
          },
          await jsonFloor(() => client.call('POST', queryPath(pgConnection.id), { sql: text, rowLimit: rows })),
          ...floors,
        ],
      },
      table,
    );
    measured.push({ database: 'PostgreSQL', rows, medians });
  }
  for (const rows of [1, BIG]) {
    const text = `SELECT TOP (${rows}) id, name, amount FROM bench_rows ORDER BY id`;
    const medians = await compare(
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
            path: READ_ONLY_DRIVER,
            call: async () => {
              const result = await directMssql.request().query(mssqlReadOnly(text));
              if (result.recordset.length !== rows) throw new Error('mssql returned the wrong rows');
            },
          },
          {
            path: IN_PROCESS,
            call: async () => {
              const result = await caller.console.run({ ...mssqlRef, sql: text, rowLimit: rows });
              if (result.resultSets[0]?.rows.length !== rows) throw new Error('console returned the wrong rows');
            },
          },
          {
            path: OVER_HTTP,
            call: async () => {
              const answer = await client.call('POST', queryPath(mssqlConnection.id), { sql: text, rowLimit: rows });
              if ((answer.body as { resultSets?: { rows: unknown[] }[] }).resultSets?.[0]?.rows.length !== rows) throw new Error(`REST answered ${answer.status}`);
            },
          },
          await jsonFloor(() => client.call('POST', queryPath(mssqlConnection.id), { sql: text, rowLimit: rows })),
          ...floors,
        ],
      },
      table,
    );
    measured.push({ database: 'SQL Server', rows, medians });
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
  console.log('least ratio each path could reach in this run: what no run through it avoids (the read-only run through the driver, the floors above), over the driver');
  printTable(leastRatios(measured), 4);
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
