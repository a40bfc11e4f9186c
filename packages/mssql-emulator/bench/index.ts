/**
 * pnpm bench: the emulator's floor — SELECT 1 round trips per second and login time — so that
 * benchmarks built on top of it (pool manager, API) know what they sit on.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import sql from 'mssql';
import { Connection } from 'tedious';
import { startEmulator } from '../src/index';

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

function tediousLogin(config: { server: string; port: number; user: string; password: string; database: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = new Connection({
      server: config.server,
      authentication: { type: 'default', options: { userName: config.user, password: config.password } },
      options: { port: config.port, database: config.database, trustServerCertificate: true },
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

async function main(): Promise<void> {
  const rows: Row[] = [];
  const floor = await loopbackFloor();
  await floor.close();
  rows.push({ benchmark: 'baseline: loopback TCP 64 B ping-pong', result: `${floor.pingPongPerSec.toFixed(0)} req/s`, detail: '1 socket, no TDS: the floor a round trip sits on', value: floor.pingPongPerSec, baseline: 'pingPong' });
  rows.push({ benchmark: 'baseline: loopback TCP connect', result: `${floor.connectMs.toFixed(3)} ms p50`, detail: '50 connects, no TDS', value: floor.connectMs, baseline: 'tcpConnect' });
  let start = performance.now();
  const emulator = await startEmulator({ databases: ['bench'] });
  rows.push({ benchmark: 'startEmulator()', result: `${(performance.now() - start).toFixed(0)} ms`, detail: 'listener only; engines open lazily' });

  start = performance.now();
  await tediousLogin(emulator.configFor({ database: 'bench' }));
  rows.push({ benchmark: 'first login to a database', result: `${(performance.now() - start).toFixed(0)} ms`, detail: 'includes PGlite start-up for that database' });

  const logins: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await tediousLogin(emulator.config);
    logins.push(performance.now() - t);
  }
  logins.sort((a, b) => a - b);
  rows.push({ benchmark: 'login (tedious connect + close)', result: `${percentile(logins, 0.5).toFixed(2)} ms p50`, detail: `p99 ${percentile(logins, 0.99).toFixed(2)} ms over 50 logins`, value: percentile(logins, 0.5), baseline: 'tcpConnect' });

  const single = await new sql.ConnectionPool({ ...emulator.config, validateConnection: false, pool: { min: 1, max: 1 } } as sql.config).connect();
  await single.request().query('SELECT 1');
  rows.push(await throughput('SELECT 1 via query() (RPC sp_executesql)', 1, () => single.request().query('SELECT 1')));
  rows.push(await throughput('SELECT 1 via batch() (SQL_BATCH)', 1, () => single.request().batch('SELECT 1')));
  rows.push(await throughput('SELECT @n via query() (runs on PGlite)', 1, () => single.request().input('n', sql.Int, 1).query('SELECT @n AS n')));
  await single.close();

  const validated = await new sql.ConnectionPool({ ...emulator.config, pool: { min: 1, max: 1 } } as sql.config).connect();
  await validated.request().query('SELECT 1');
  rows.push(await throughput('SELECT 1 with mssql validateConnection (default)', 1, () => validated.request().query('SELECT 1')));
  await validated.close();

  const wide = await new sql.ConnectionPool({ ...emulator.config, validateConnection: false, pool: { min: 10, max: 10 } } as sql.config).connect();
  await Promise.all(Array.from({ length: 10 }, () => wide.request().query('SELECT 1')));
  rows.push(await throughput('SELECT 1 via query(), 10 concurrent', 10, () => wide.request().query('SELECT 1')));
  rows.push(await throughput('SELECT @n via query(), 10 concurrent', 10, () => wide.request().input('n', sql.Int, 1).query('SELECT @n AS n')));
  await wide.close();

  await emulator.close();
  console.log(`\n@studio/mssql-emulator benchmark (Node ${process.version}, ${DURATION_MS} ms per throughput row)\n`);
  // Ratio against the loopback floor of the same run: throughput as a fraction of TCP ping-pong,
  // login time as a multiple of a bare TCP connect.
  const ratio = (r: Row): string => {
    if (r.value === undefined || r.baseline === undefined) return '';
    return r.baseline === 'pingPong' ? `${(r.value / floor.pingPongPerSec).toFixed(3)} of floor` : `${(r.value / floor.connectMs).toFixed(1)}x floor`;
  };
  const width = Math.max(...rows.map((r) => r.benchmark.length));
  const resultWidth = Math.max(...rows.map((r) => r.result.length));
  const ratioWidth = Math.max(8, ...rows.map((r) => ratio(r).length));
  console.log(`| ${'benchmark'.padEnd(width)} | ${'result'.padStart(resultWidth)} | ${'vs floor'.padStart(ratioWidth)} | detail |`);
  console.log(`| ${'-'.repeat(width)} | ${'-'.repeat(resultWidth)}:| ${'-'.repeat(ratioWidth)}:| --- |`);
  for (const r of rows) console.log(`| ${r.benchmark.padEnd(width)} | ${r.result.padStart(resultWidth)} | ${ratio(r).padStart(ratioWidth)} | ${r.detail} |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
