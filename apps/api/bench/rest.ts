// `pnpm --filter @studio/api bench:rest`: the public REST hot path under wrk (a load generator no
// one here wrote, in a process of its own) at 1,000 connections: GET /api/v1/workspaces/{slug}/
// connections with an API token (one page of 25 connections) against GET /api/v1/health on the
// same server in the same run. The two routes alternate in slices so machine noise hits both.
//
//   BENCH_DATABASE      postgres (default: a scratch database on DATABASE_URL) | pglite
//   BENCH_WRK_CONNECTIONS  default 1000;  BENCH_WRK_THREADS  default 2
//   BENCH_WRK_SECONDS   per slice (default 10); two slices per route, after a 3 s warm-up each
//   BENCH_CONNECTIONS   connections in the listed workspace (default 25)
//   BENCH_CPU_PROF      a folder: V8 CPU profiles of the server, one per route (first slice)
//   REDIS_URL           rate-limit counters in Redis, as production with REDIS_URL (unset: PostgreSQL)
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { fmt, loadLine, printMarkdownTable, printTargets, startInstance, type BenchInstance } from './instances';
import { commandOf, runWrk, wrkVersion, type WrkResult, type WrkRun } from './wrk';

const config = z
  .object({
    BENCH_DATABASE: z.enum(['pglite', 'postgres']).default('postgres'),
    BENCH_WRK_CONNECTIONS: z.coerce.number().int().min(1).max(20_000).default(1_000),
    BENCH_WRK_THREADS: z.coerce.number().int().min(1).max(64).default(2),
    BENCH_WRK_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    BENCH_CONNECTIONS: z.coerce.number().int().min(0).max(200).default(25),
    BENCH_CPU_PROF: z.string().min(1).optional(),
  })
  .parse(process.env);

const SLICES = 2;
const WARMUP_SECONDS = 3;

type Route = 'health' | 'list';

interface Measured {
  results: WrkResult[];
  cpuUs: number;
  /** Received by the server (wrk's completed requests plus those it left in flight). */
  served: number;
}

/**
 * One wrk run, then the drain of what it left in flight: server CPU per request is the CPU of both
 * over the requests the server received (each answered by then), so neither the requests still
 * running at the end nor the work they leave behind skew it.
 */
async function measure(server: BenchInstance, run: WrkRun, profile: string | undefined): Promise<{ result: WrkResult; cpuUs: number; requests: number }> {
  if (profile) await server.profileStart();
  const before = await server.cpu();
  const result = await runWrk(run);
  await server.settled();
  const after = await server.cpu();
  if (profile) await server.profileStop(profile);
  return { result, cpuUs: after.cpuUs - before.cpuUs, requests: after.requests - before.requests };
}

async function main(): Promise<void> {
  const version = await wrkVersion();
  const server = await startInstance({ database: config.BENCH_DATABASE, connections: config.BENCH_CONNECTIONS });
  const { url, token, workspaceSlug } = server.ready;
  const runs: Record<Route, WrkRun> = {
    health: { url: `${url}/api/v1/health`, threads: config.BENCH_WRK_THREADS, connections: config.BENCH_WRK_CONNECTIONS, durationSeconds: config.BENCH_WRK_SECONDS },
    list: {
      url: `${url}/api/v1/workspaces/${workspaceSlug}/connections`,
      threads: config.BENCH_WRK_THREADS,
      connections: config.BENCH_WRK_CONNECTIONS,
      durationSeconds: config.BENCH_WRK_SECONDS,
      headers: { authorization: `Bearer ${token}` },
    },
  };

  // Sanity: the list answers the seeded page, health answers; neither is an error page.
  const page = (await (await fetch(runs.list.url, { headers: runs.list.headers })).json()) as { items?: unknown[] };
  if (page.items?.length !== Math.min(config.BENCH_CONNECTIONS, 50)) throw new Error(`expected ${config.BENCH_CONNECTIONS} connections, got ${JSON.stringify(page).slice(0, 200)}`);
  if ((await fetch(runs.health.url)).status !== 200) throw new Error('GET /api/v1/health did not answer 200');

  console.log(
    `REST benchmark: ${version}, node ${process.version}, ${cpus().length} CPU(s), load ${loadLine()}; system database ${server.ready.database}; ` +
      `rate-limit store ${server.ready.rateLimitStore}; ${config.BENCH_CONNECTIONS} connections per page; ${SLICES} alternating slices of ${config.BENCH_WRK_SECONDS} s per route`,
  );
  for (const route of ['health', 'list'] as const) console.log(`  ${commandOf(runs[route])}`);

  if (config.BENCH_CPU_PROF) await mkdir(config.BENCH_CPU_PROF, { recursive: true });
  for (const route of ['health', 'list'] as const) {
    await runWrk({ ...runs[route], durationSeconds: WARMUP_SECONDS });
    await server.settled();
  }

  const measured: Record<Route, Measured> = { health: { results: [], cpuUs: 0, served: 0 }, list: { results: [], cpuUs: 0, served: 0 } };
  for (let slice = 0; slice < SLICES; slice += 1) {
    const order: Route[] = slice % 2 === 0 ? ['health', 'list'] : ['list', 'health'];
    for (const route of order) {
      const profile = config.BENCH_CPU_PROF && slice === 0 ? join(config.BENCH_CPU_PROF, `rest-${route}.cpuprofile`) : undefined;
      const { result, cpuUs, requests } = await measure(server, runs[route], profile);
      measured[route].results.push(result);
      measured[route].cpuUs += cpuUs;
      measured[route].served += requests;
      console.log(`  slice ${slice + 1} ${route}: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.p50Ms, 2)} ms, p99 ${fmt(result.p99Ms, 2)} ms, CPU ${fmt(cpuUs / requests, 0)} µs/req, errors ${result.errors}, load ${loadLine()}`);
    }
  }
  await server.stop();

  const rows = (['health', 'list'] as const).map((route) => {
    const { results, cpuUs, served } = measured[route];
    const requests = results.reduce((sum, r) => sum + r.requests, 0);
    const seconds = results.reduce((sum, r) => sum + r.durationMs, 0) / 1000;
    return {
      route,
      rps: requests / seconds,
      // Percentiles of separate runs cannot be merged: the worse slice is reported.
      p50: Math.max(...results.map((r) => r.p50Ms)),
      p99: Math.max(...results.map((r) => r.p99Ms)),
      cpuUsPerReq: cpuUs / served,
      errors: results.map((r) => r.errors).filter((e) => e !== '0').join(' ') || '0',
    };
  });
  const [health, list] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log('');
  printMarkdownTable(
    ['connections', 'route', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors', 'req/s ratio'],
    rows.map((row) => [
      String(config.BENCH_WRK_CONNECTIONS),
      row.route === 'health' ? 'GET /api/v1/health (baseline)' : `GET /api/v1/workspaces/{slug}/connections (${config.BENCH_CONNECTIONS} rows, API token)`,
      fmt(row.rps, 0),
      fmt(row.p50, 2),
      fmt(row.p99, 2),
      fmt(row.cpuUsPerReq, 0),
      row.errors,
      fmt(row.rps / health.rps, 2),
    ]),
  );
  console.log('p50/p99: the worse of the slices; server CPU: the API process\'s user + system time over each run and its drain, per request received');

  const allHold = printTargets([
    { target: `list at ${config.BENCH_WRK_CONNECTIONS} connections p99 < 500 ms`, measured: `${fmt(list.p99, 1)} ms`, holds: list.p99 < 500 },
    { target: 'no errors', measured: `list ${list.errors}, health ${health.errors}`, holds: list.errors === '0' && health.errors === '0' },
    { target: 'list throughput ≥ 0.5× health', measured: `${fmt(list.rps / health.rps, 2)}×`, holds: list.rps >= 0.5 * health.rps },
    { target: 'server CPU per list call ≤ 500 µs', measured: `${fmt(list.cpuUsPerReq, 0)} µs`, holds: list.cpuUsPerReq <= 500 },
    { target: 'server CPU per health call ≤ 150 µs', measured: `${fmt(health.cpuUsPerReq, 0)} µs`, holds: health.cpuUsPerReq <= 150 },
  ]);
  if (config.BENCH_CPU_PROF) console.log(`\nCPU profiles in ${config.BENCH_CPU_PROF}; summarise with: pnpm --filter @studio/api bench:profile ${config.BENCH_CPU_PROF}/rest-list.cpuprofile`);
  // A missed target is a finding, not a failure of the benchmark; errors are.
  if (list.errors !== '0' || health.errors !== '0') process.exitCode = 1;
  if (!allHold) console.log('\n(targets missed: see above)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
