/**
 * `pnpm bench`: the manager side by side with one raw mssql.ConnectionPool per workspace and with
 * @cityssm/mssql-multi-pool, against the same TDS server (the emulator, in a child process so the
 * server does not share this event loop). Prints tables (a)-(e) as Markdown.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { do_not_optimize, measure } from 'mitata';
import mssql from 'mssql';
import { WorkspacePoolManager, type ConnectionTargetOf } from '../src/index';

/** The parts of @cityssm/mssql-multi-pool used here. It ships TypeScript source that does not
 * compile under our strict settings, so it is imported untyped (a computed specifier). */
interface MultiPool {
  connect(config: mssql.config): Promise<mssql.ConnectionPool>;
  releaseAll(): Promise<void>;
}
const multiPoolModule: string = '@cityssm/mssql-multi-pool';
const multiPool = (await import(multiPoolModule)) as MultiPool;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const QUICK = process.argv.includes('--quick');
const DURATION_MS = QUICK ? 400 : 1200;
/** (b): each variant runs ROUNDS slices of SLICE_MS, interleaved. */
const SLICE_MS = QUICK ? 200 : 250;
const ROUNDS = QUICK ? 3 : 14;
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const section = (name: string) => ONLY === undefined || ONLY.includes(name);


// ---- the server (child process) ------------------------------------------------------------

interface ServerInfo {
  port: number;
  /** Logins u0..u(users-1) exist, all with `password`. */
  users: number;
  password: string;
  database: string;
}

class ServerProcess {
  readonly #child: ChildProcess;
  #seq = 0;
  readonly #pending = new Map<number, (value: number) => void>();
  info!: ServerInfo;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (raw) => {
      const message = raw as { id?: number; value?: number };
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message.value ?? 0);
        this.#pending.delete(message.id);
      }
    });
  }

  static async start(): Promise<ServerProcess> {
    const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const server = new ServerProcess(child);
    server.info = await new Promise<ServerInfo>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ServerInfo));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    return server;
  }

  ask(cmd: 'logins' | 'sessions'): Promise<number> {
    const id = ++this.#seq;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ id, cmd });
    });
  }

  stop(): void {
    this.#child.kill();
  }
}

// ---- helpers -------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Run `callers` loops of `op(callerIndex)` for `durationMs`; ops/s and latency percentiles (ms). */
async function load(callers: number, durationMs: number, op: (caller: number) => Promise<unknown>, samples: number[] = []) {
  const first = samples.length;
  let errors = 0;
  const end = performance.now() + durationMs;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op(caller);
          samples.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const ops = samples.length - first;
  const sorted = Float64Array.from(samples.slice(first)).sort();
  return { ops, elapsedMs: elapsed, opsPerSec: (ops / elapsed) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors, cpuMicros: cpu.user + cpu.system };
}

function zipfSampler(n: number, s = 1.0): () => number {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  return () => {
    const r = Math.random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  const server = await ServerProcess.start();
  const { port, password, database } = server.info;
  let run = 0;
  // One login per workspace (see bench/server.ts): mssql-multi-pool keys pools by user, server
  // and database only.
  const userOf = new Map<string, string>();
  const user = (workspace: string) => {
    let u = userOf.get(workspace);
    if (u === undefined) {
      if (userOf.size >= server.info.users) throw new Error('bench server has too few logins');
      u = `u${userOf.size}`;
      userOf.set(workspace, u);
    }
    return u;
  };
  const target = (workspace: string, poolSize = 10): ConnectionTargetOf<'mssql'> => ({
    workspaceId: workspace,
    connectionId: 'c1',
    type: 'mssql',
    host: '127.0.0.1',
    port,
    database,
    user: user(workspace),
    password,
    options: { poolSize, encrypt: false },
  });
  const mssqlConfig = (workspace: string): mssql.config => ({
    server: '127.0.0.1',
    port,
    database,
    user: user(workspace),
    password,
    options: { encrypt: false },
    pool: { max: 10, min: 0 },
    // same per-acquire validation as the manager's default, so only the wrapping differs
    validateConnection: 'socket',
  });

  console.log(`# @studio/mssql-pool benchmark\n`);
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}; server: @studio/mssql-emulator in a child process on 127.0.0.1:${port}.`);
  console.log(`Load phases: ${DURATION_MS} ms; (b): ${ROUNDS} interleaved ${SLICE_MS} ms slices per variant, pooled.`);

  // (e) heap per cached idle pool -----------------------------------------------------------------
  if (section('e')) {
    const rows: Array<Array<string | number>> = [];
    const pools = 300;
    for (const warm of [false, true]) {
      run++;
      const manager = new WorkspacePoolManager({ maxPools: 1000, maxTotalConnections: 10_000 });
      const targets = Array.from({ length: pools }, (_, i) => target(`e${run}-${i}`));
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      for (const t of targets) {
        if (warm) await manager.query(t, 'SELECT 1');
        else (await manager.acquire(t)).release();
      }
      gc();
      gc();
      const after = process.memoryUsage().heapUsed;
      rows.push([warm ? '1 idle connection' : '0 connections (probe closed)', pools, fmt((after - before) / pools / 1024, 1)]);
      await manager.close();
    }
    table('## (e) Heap per cached idle pool', ['pool holds', 'pools', 'KiB per pool'], rows);
  }

  // (a) cache-hit acquire ------------------------------------------------------------------
  if (section('a')) {
    const manager = new WorkspacePoolManager();
    const t = target('hit');
    (await manager.acquire(t)).release();
    const multiConfig = mssqlConfig('hit');
    await multiPool.connect(multiConfig);
    const map = new Map<string, object>([['hit:c1', {}]]);
    const key = 'hit:c1';
    const opts = { min_cpu_time: 300 * 1e6 };
    const mapGet = await measure(() => do_not_optimize(map.get(key)), opts);
    const hitSync = await measure(() => {
      // The synchronous part: lookup, settings check, bypass window, lease. Release included.
      const p = manager.acquire(t);
      do_not_optimize(p);
      return p.then((lease) => lease.release());
    }, opts);
    const hitAwait = await measure(async () => {
      const lease = await manager.acquire(t);
      lease.release();
    }, opts);
    const multi = await measure(async () => {
      do_not_optimize(await multiPool.connect(multiConfig));
    }, opts);
    table(
      '## (a) Cache-hit acquire cost (ns/op, mitata)',
      ['operation', 'avg ns', 'p50 ns', 'p99 ns'],
      [
        ['`Map.get` (floor)', fmt(mapGet.avg), fmt(mapGet.p50), fmt(mapGet.p99)],
        ['manager `acquire()` hit + `release()` (awaited)', fmt(hitAwait.avg), fmt(hitAwait.p50), fmt(hitAwait.p99)],
        ['manager `acquire()` hit + `release()` (promise chain)', fmt(hitSync.avg), fmt(hitSync.p50), fmt(hitSync.p99)],
        ['mssql-multi-pool `connect()` hit (awaited)', fmt(multi.avg), fmt(multi.p50), fmt(multi.p99)],
      ],
    );
    await manager.close();
    await multiPool.releaseAll();
  }

  // (b) SELECT 1 throughput -----------------------------------------------------------------
  if (section('b')) {
    const rows: Array<Array<string | number>> = [];
    for (const workspaces of [1, 10, 100]) {
      run++;
      const names = Array.from({ length: workspaces }, (_, i) => `b${run}-${i}`);
      const raw = await Promise.all(names.map((n) => new mssql.ConnectionPool(mssqlConfig(n)).connect()));
      for (const pool of raw) pool.on('error', () => undefined);
      const manager = new WorkspacePoolManager({ maxPools: 1000, maxTotalConnections: 10_000 });
      const targets = names.map((n) => target(n));
      const configs = names.map((n) => mssqlConfig(n));
      for (const t of targets) (await manager.acquire(t)).release();
      for (const c of configs) (await multiPool.connect(c)).on('error', () => undefined);
      // The control: the very ConnectionPool the manager built, driven without acquire/release. It
      // tells a cost of the manager's per-query code (manager vs this) from one of how it configures
      // the driver pool or of measurement noise (this vs raw). Its lease is held for the whole run.
      const held = await Promise.all(targets.map((t) => manager.acquire(t)));
      const managerPools = held.map((lease) => lease.pool);

      for (const callers of [10, 100, 1000]) {
        const variants = {
          raw: (i: number) => raw[i % workspaces]!.request().query('SELECT 1'),
          manager: async (i: number) => {
            const lease = await manager.acquire(targets[i % workspaces]!);
            try {
              return await lease.pool.request().query('SELECT 1');
            } finally {
              lease.release();
            }
          },
          multi: async (i: number) => (await multiPool.connect(configs[i % workspaces]!)).request().query('SELECT 1'),
          managerPool: (i: number) => managerPools[i % workspaces]!.request().query('SELECT 1'),
        };
        // The server's throughput drifts with whatever else runs on this machine, so the variants
        // take turns in short slices (order rotated each round) and each one's ops and latencies
        // are pooled over all of its slices: drift then hits all three alike.
        const names = Object.keys(variants) as Array<keyof typeof variants>;
        for (const op of Object.values(variants)) await load(callers, 300, op); // warm pools to working size
        const pooled: Record<string, { ops: number; ms: number; samples: number[]; errors: number; cpuMicros: number }> = {};
        for (const name of names) pooled[name] = { ops: 0, ms: 0, samples: [], errors: 0, cpuMicros: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          for (let k = 0; k < names.length; k++) {
            const name = names[(k + round) % names.length]!;
            const result = await load(callers, SLICE_MS, variants[name], pooled[name]!.samples);
            pooled[name]!.ops += result.ops;
            pooled[name]!.ms += result.elapsedMs;
            pooled[name]!.errors += result.errors;
            pooled[name]!.cpuMicros += result.cpuMicros;
          }
        }
        const summary = (name: string) => {
          const p = pooled[name]!;
          const sorted = Float64Array.from(p.samples).sort();
          return {
            opsPerSec: (p.ops / p.ms) * 1000,
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            errors: p.errors,
            // Client-process CPU per query (the server runs in its own process): what the wrapper
            // itself costs, unlike throughput, which the shared server's drift dominates.
            cpuPerOp: p.cpuMicros / p.ops,
          };
        };
        const r = summary('raw');
        const m = summary('manager');
        const x = summary('multi');
        const c = summary('managerPool');
        rows.push([
          workspaces,
          callers,
          `${fmt(r.opsPerSec)} (${fmt(r.p50, 2)}/${fmt(r.p99, 2)})`,
          `${fmt(m.opsPerSec)} (${fmt(m.p50, 2)}/${fmt(m.p99, 2)})`,
          `${fmt(x.opsPerSec)} (${fmt(x.p50, 2)}/${fmt(x.p99, 2)})`,
          `**${fmt(m.opsPerSec / r.opsPerSec, 3)}**`,
          fmt(x.opsPerSec / r.opsPerSec, 3),
          `${fmt(r.cpuPerOp, 1)} / ${fmt(m.cpuPerOp, 1)} / ${fmt(x.cpuPerOp, 1)}`,
          `**${fmt(r.cpuPerOp / m.cpuPerOp, 3)}**`,
          `${fmt(c.opsPerSec / r.opsPerSec, 3)} / ${fmt(r.cpuPerOp / c.cpuPerOp, 3)}`,
          `${fmt(m.opsPerSec / c.opsPerSec, 3)} / ${fmt(c.cpuPerOp / m.cpuPerOp, 3)}`,
          r.errors + m.errors + x.errors + c.errors,
        ]);
      }
      for (const lease of held) lease.release();
      await manager.close();
      await Promise.all(raw.map((p) => p.close()));
      await multiPool.releaseAll();
    }
    table(
      '## (b) `SELECT 1` throughput: ops/s (p50/p99 ms), ratio vs raw pool',
      [
        'workspaces',
        'callers',
        'raw ConnectionPool',
        'manager',
        'mssql-multi-pool',
        'manager/raw',
        'multi-pool/raw',
        'client CPU µs/op raw / manager / multi',
        'raw/manager CPU',
        "control: manager's pool without acquire, vs raw (ops / CPU)",
        'manager vs control (ops / CPU)',
        'errors',
      ],
      rows,
    );
  }

  // (c) cold-start storm ---------------------------------------------------------------------
  if (section('c')) {
    const rows: Array<Array<string | number>> = [];
    const storm = async (name: string, fn: () => Promise<unknown>) => {
      const before = await server.ask('logins');
      const started = performance.now();
      const results = await Promise.allSettled(Array.from({ length: 1000 }, fn));
      const ms = performance.now() - started;
      const logins = (await server.ask('logins')) - before;
      rows.push([name, logins, fmt(ms), results.filter((r) => r.status === 'rejected').length]);
    };
    const manager = new WorkspacePoolManager();
    await storm('manager `acquire()` ×1,000', async () => (await manager.acquire(target('cold-a'))).release());
    await storm('manager `query(SELECT 1)` ×1,000', () => manager.query(target('cold-b'), 'SELECT 1'));
    await storm('mssql-multi-pool `connect()` ×1,000', () => multiPool.connect(mssqlConfig('cold-c')));
    await storm('mssql-multi-pool `connect()` + `SELECT 1` ×1,000', async () => (await multiPool.connect(mssqlConfig('cold-d'))).request().query('SELECT 1'));
    await manager.close();
    await multiPool.releaseAll();
    table('## (c) Cold storm: 1,000 concurrent first calls for one workspace', ['caller', 'logins at server', 'ms', 'errors'], rows);
  }

  // (d) cache cap below the active set ----------------------------------------------------------
  if (section('d')) {
    const rows: Array<Array<string | number>> = [];
    const workspaces = 100;
    for (const cap of [50, 90]) {
      for (const dist of ['uniform', 'zipf(1.0)'] as const) {
        run++;
        const manager = new WorkspacePoolManager({ maxPools: cap, maxTotalConnections: 10_000 });
        const pick = dist === 'uniform' ? () => Math.floor(Math.random() * workspaces) : zipfSampler(workspaces);
        const targets = Array.from({ length: workspaces }, (_, i) => target(`d${run}-${i}`, 2));
        const op = async () => {
          const lease = await manager.acquire(targets[pick()]!);
          try {
            return await lease.pool.request().query('SELECT 1');
          } finally {
            lease.release();
          }
        };
        await load(100, DURATION_MS, op); // reach steady state: every workspace seen, cache full
        const c0 = manager.counters;
        const loginsBefore = await server.ask('logins');
        const started = performance.now();
        const result = await load(100, DURATION_MS * 2, op);
        const seconds = (performance.now() - started) / 1000;
        const logins = (await server.ask('logins')) - loginsBefore;
        const c1 = manager.counters;
        const c = {
          acquireHits: c1.acquireHits - c0.acquireHits,
          acquireMisses: c1.acquireMisses - c0.acquireMisses,
          poolsEvicted: { lru: c1.poolsEvicted.lru - c0.poolsEvicted.lru },
        };
        rows.push([
          `${workspaces} / ${cap}`,
          dist,
          `${fmt((100 * c.acquireHits) / (c.acquireHits + c.acquireMisses), 1)}%`,
          fmt(result.opsPerSec),
          fmt(result.p50, 2),
          fmt(result.p99, 2),
          fmt(logins / seconds, 0),
          c.poolsEvicted.lru,
          result.errors,
        ]);
        await manager.close();
      }
    }
    table(
      '## (d) Cache cap below the active set (100 callers, pool size 2, steady state after a warm-up)',
      ['workspaces / maxPools', 'distribution', 'hit rate', 'ops/s', 'p50 ms', 'p99 ms', 'logins/s', 'LRU evictions', 'errors'],
      rows,
    );
  }

  server.stop();
}

await main();
