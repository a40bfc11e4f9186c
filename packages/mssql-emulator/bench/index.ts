/**
 * pnpm bench: the emulator's floor — SELECT 1 round trips per second, login time and a 10-session
 * mixed workload — on each backend (PGlite; PostgreSQL when PG_URL is set), so that benchmarks
 * built on top of it (pool manager, API) know what they sit on.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import sql from 'mssql';
import { Connection } from 'tedious';
import { type EmulatorOptions, startEmulator } from '../src/index';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);

interface Row {
  benchmark: string;
  result: string;
  detail: string;
  /** Measured value in the unit of its baseline (req/s or ms), to print the ratio. */
  value?: number;
  baseline?: 'pingPong' | 'tcpConnect';
}

/** The physical floor on this machine, measured in the same run: loopback TCP without TDS. */
async function loopbackFloor(): Promise<{ pingPongPerSec: number; connectMs: number; close(): Promise<void> }> {
  const echo = createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const { port } = echo.address() as AddressInfo;
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
  const connects: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const socket = await open();
    connects.push(performance.now() - t);
    socket.destroy();
  }
  connects.sort((a, b) => a - b);
  const socket = await open();
  socket.setNoDelay(true);
  const payload = Buffer.alloc(64, 1);
  const pingPong = () =>
    new Promise<void>((resolve) => {
      let received = 0;
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received >= payload.length) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(payload);
    });
  const row = await throughput('loopback TCP 64 B ping-pong', 1, pingPong);
  socket.destroy();
  return {
    pingPongPerSec: row.value ?? 0,
    connectMs: percentile(connects, 0.5),
    close: () => new Promise<void>((resolve) => echo.close(() => resolve())),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

async function throughput(label: string, workers: number, run: (worker: number) => Promise<unknown>): Promise<Row> {
  const deadline = Date.now() + DURATION_MS;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < deadline) {
        const start = performance.now();
        await run(w);
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const rps = (latencies.length / DURATION_MS) * 1000;
  return {
    benchmark: label,
    value: rps,
    baseline: 'pingPong',
    result: `${rps.toFixed(0)} req/s`,
    detail: `p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms (${workers} connection${workers > 1 ? 's' : ''})`,
  };
}

interface BenchTarget {
  server: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/**
 * The emulator negotiates TLS with a certificate its throwaway CA signed at start: clients encrypt
 * as they do by default and trust that CA (`tls.caPem`), as an application's would trust its server's.
 */
function trusting(config: BenchTarget, caPem: string): sql.config {
  return { ...config, connectionTimeout: 60_000, options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: caPem } } } as sql.config;
}

function tediousLogin(config: BenchTarget, caPem: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = new Connection({
      server: config.server,
      authentication: { type: 'default', options: { userName: config.user, password: config.password } },
      options: { port: config.port, database: config.database, connectTimeout: 60_000, encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: caPem } },
    });
    connection.on('connect', (err) => {
      if (err) {
        reject(err);
        return;
      }
      connection.on('end', () => resolve());
      connection.close();
    });
    connection.connect();
  });
}

const MIXED_SESSIONS = 10;

/**
 * 10 sessions, each looping over what an application does: a point read, a transaction of two
 * writes spanning three round trips, and an aggregate over the table. One op = one of the three.
 */
async function mixedWorkload(config: sql.config): Promise<Row> {
  const pool = await new sql.ConnectionPool({ ...config, validateConnection: false, pool: { min: MIXED_SESSIONS, max: MIXED_SESSIONS } } as sql.config).connect();
  await pool.request().batch('CREATE TABLE bench_orders (id INT IDENTITY(1,1) PRIMARY KEY, session INT NOT NULL, amount INT NOT NULL, status NVARCHAR(20) NOT NULL)');
  await pool.request().batch("INSERT INTO bench_orders (session, amount, status) SELECT 0, 1, N'seed' FROM (VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)) v(n)");
  let op = 0;
  const row = await throughput(`mixed workload, ${MIXED_SESSIONS} sessions`, MIXED_SESSIONS, async (worker) => {
    const kind = op++ % 3;
    if (kind === 0) {
      await pool.request().input('id', sql.Int, (op % 10) + 1).query('SELECT id, amount, status FROM bench_orders WHERE id = @id');
    } else if (kind === 1) {
      const tx = new sql.Transaction(pool);
      await tx.begin();
      const inserted = await new sql.Request(tx).input('s', sql.Int, worker).query("INSERT INTO bench_orders (session, amount, status) VALUES (@s, 10, N'new'); SELECT SCOPE_IDENTITY() AS id");
      await new sql.Request(tx).input('id', sql.Int, inserted.recordset[0].id).query("UPDATE bench_orders SET status = N'paid' WHERE id = @id");
      await tx.commit();
    } else {
      await pool.request().input('s', sql.Int, worker).query('SELECT COUNT(*) AS n, SUM(amount) AS total FROM bench_orders WHERE session = @s');
    }
  });
  await pool.request().batch('DROP TABLE bench_orders');
  await pool.close();
  return { ...row, detail: `${row.detail}; point read, 2-write transaction (3 round trips), aggregate in turn` };
}

interface BackendRun {
  name: string;
  rows: Row[];
}

async function benchBackend(name: string, options: EmulatorOptions): Promise<BackendRun> {
  const rows: Row[] = [];
  let start = performance.now();
  const emulator = await startEmulator({ databases: ['bench'], ...options });
  const caPem = emulator.tls?.caPem ?? '';
  rows.push({ benchmark: 'startEmulator()', result: `${(performance.now() - start).toFixed(0)} ms`, detail: 'listener only; databases open on first use' });
  try {
    start = performance.now();
    await tediousLogin(emulator.configFor({ database: 'bench' }), caPem);
    rows.push({ benchmark: 'first login to a database', result: `${(performance.now() - start).toFixed(0)} ms`, detail: 'includes creating that database (PGlite start-up, or CREATE DATABASE and the catalogue)' });

    const logins: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await tediousLogin(emulator.config, caPem);
      logins.push(performance.now() - t);
    }
    logins.sort((a, b) => a - b);
    rows.push({ benchmark: 'login (tedious connect + close)', result: `${percentile(logins, 0.5).toFixed(2)} ms p50`, detail: `p99 ${percentile(logins, 0.99).toFixed(2)} ms over 50 logins, TLS`, value: percentile(logins, 0.5), baseline: 'tcpConnect' });

    const config = trusting(emulator.config, caPem);
    const single = await new sql.ConnectionPool({ ...config, validateConnection: false, pool: { min: 1, max: 1 } } as sql.config).connect();
    await single.request().query('SELECT 1');
    rows.push(await throughput('SELECT 1 via query() (RPC sp_executesql)', 1, () => single.request().query('SELECT 1')));
    rows.push(await throughput('SELECT 1 via batch() (SQL_BATCH)', 1, () => single.request().batch('SELECT 1')));
    rows.push(await throughput('SELECT @n via query() (runs on the backend)', 1, () => single.request().input('n', sql.Int, 1).query('SELECT @n AS n')));
    await single.close();

    const validated = await new sql.ConnectionPool({ ...config, pool: { min: 1, max: 1 } } as sql.config).connect();
    await validated.request().query('SELECT 1');
    rows.push(await throughput('SELECT 1 with mssql validateConnection (default)', 1, () => validated.request().query('SELECT 1')));
    await validated.close();

    const wide = await new sql.ConnectionPool({ ...config, validateConnection: false, pool: { min: 10, max: 10 } } as sql.config).connect();
    await Promise.all(Array.from({ length: 10 }, () => wide.request().query('SELECT 1')));
    rows.push(await throughput('SELECT 1 via query(), 10 concurrent', 10, () => wide.request().query('SELECT 1')));
    rows.push(await throughput('SELECT @n via query(), 10 concurrent', 10, () => wide.request().input('n', sql.Int, 1).query('SELECT @n AS n')));
    await wide.close();

    rows.push(await mixedWorkload(config));
  } finally {
    await emulator.close();
  }
  return { name, rows };
}

function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => (l[k] ?? '').length)));
  const cell = (text: string, k: number) => (k === 0 || k === header.length - 1 ? text.padEnd(widths[k] ?? 0) : text.padStart(widths[k] ?? 0));
  console.log(`| ${header.map(cell).join(' | ')} |`);
  console.log(`| ${widths.map((w, k) => (k === 0 || k === header.length - 1 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const l of lines) console.log(`| ${l.map(cell).join(' | ')} |`);
}

async function main(): Promise<void> {
  const floor = await loopbackFloor();
  await floor.close();
  const runs: BackendRun[] = [await benchBackend('PGlite', {})];
  const pgUrl = process.env.PG_URL;
  if (pgUrl) runs.push(await benchBackend('PostgreSQL', { backend: 'postgres', backendUrl: pgUrl }));

  console.log(`\n@studio/mssql-emulator benchmark (Node ${process.version}, ${DURATION_MS} ms per throughput row, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  console.log(`Floor (same run): loopback TCP 64 B ping-pong ${floor.pingPongPerSec.toFixed(0)} req/s; TCP connect ${floor.connectMs.toFixed(3)} ms p50.`);
  if (!pgUrl) console.log('PostgreSQL backend: skipped (set PG_URL to a server where the role may CREATE DATABASE).');
  console.log('');
  // Ratio against the loopback floor of the same run: throughput as a fraction of TCP ping-pong,
  // login time as a multiple of a bare TCP connect.
  const vsFloor = (r: Row): string => {
    if (r.value === undefined || r.baseline === undefined) return '';
    return r.baseline === 'pingPong' ? `${(r.value / floor.pingPongPerSec).toFixed(3)} of floor` : `${(r.value / floor.connectMs).toFixed(1)}x floor`;
  };
  const [pglite, postgres] = runs as [BackendRun, BackendRun | undefined];
  const header = ['benchmark', ...runs.map((r) => r.name), ...runs.map((r) => `${r.name} vs floor`), ...(postgres ? ['PostgreSQL / PGlite'] : []), 'detail (PGlite run)'];
  const lines = pglite.rows.map((row, k) => {
    const other = postgres?.rows[k];
    const ratio = other?.value !== undefined && row.value !== undefined ? `${(other.value / row.value).toFixed(2)}x` : '';
    return [row.benchmark, row.result, ...(other ? [other.result] : []), vsFloor(row), ...(other ? [vsFloor(other), ratio] : []), row.detail];
  });
  printTable(header, lines);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
