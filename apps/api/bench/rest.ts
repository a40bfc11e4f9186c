// `pnpm --filter @studio/api bench:rest`: the public REST hot path under wrk (a load generator no
// one here wrote, in a process of its own) at 1,000 connections: GET /api/v1/workspaces/{slug}/
// connections with an API token (one page of 25 connections) against GET /api/v1/health on the
// same server in the same run. The two routes alternate in slices so machine noise hits both.
//
//   BENCH_DATABASE      postgres (default: a scratch database on DATABASE_URL) | pglite
//   BENCH_WRK_CONNECTIONS  default 1000;  BENCH_WRK_THREADS  default 2
//   BENCH_WRK_SECONDS   per slice (default 10); two slices per route, after a 3 s warm-up each
//   BENCH_CONNECTIONS   connections in the listed workspace (default 25)
//   BENCH_ROUTES        health,list,trpc (default all three; trpc = GET /trpc/health.ping, the adapter's cost)
//   BENCH_BASELINE      a git ref (e.g. main): the same runs against that commit's apps/api/src too,
//                       interleaved with the working tree's, and the CPU ratio between them
//   BENCH_CPU_PROF      a folder: V8 CPU profiles of the server, one per route (first slice)
//   REDIS_URL           rate-limit counters in Redis, as production with REDIS_URL (unset: PostgreSQL)
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { codeVariants, type CodeVariant } from './baseline';
import { fmt, loadLine, printMarkdownTable, printTargets, startInstance, type BenchInstance, type TargetCheck } from './instances';
import { commandOf, runWrk, wrkVersion, type WrkResult, type WrkRun } from './wrk';

const config = z
  .object({
    BENCH_DATABASE: z.enum(['pglite', 'postgres']).default('postgres'),
    BENCH_WRK_CONNECTIONS: z.coerce.number().int().min(1).max(20_000).default(1_000),
    BENCH_WRK_THREADS: z.coerce.number().int().min(1).max(64).default(2),
    BENCH_WRK_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    BENCH_CONNECTIONS: z.coerce.number().int().min(0).max(200).default(25),
    BENCH_CPU_PROF: z.string().min(1).optional(),
    BENCH_BASELINE: z.string().min(1).optional(),
    BENCH_ROUTES: z
      .string()
      .default('health,list,trpc')
      .transform((v) => v.split(',').map((r) => r.trim()))
      .pipe(z.array(z.enum(['health', 'list', 'trpc'])).min(1)),
  })
  .parse(process.env);

const SLICES = 2;
const WARMUP_SECONDS = 3;

type Route = 'health' | 'list' | 'trpc';

const ROUTE_LABELS: Record<Route, string> = {
  health: 'GET /api/v1/health (baseline)',
  list: `GET /api/v1/workspaces/{slug}/connections (${config.BENCH_CONNECTIONS} rows, API token)`,
  trpc: 'GET /trpc/health.ping (the health procedure over tRPC)',
};

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

interface Variant {
  code: CodeVariant;
  server: BenchInstance;
  runs: Record<Route, WrkRun>;
  measured: Record<Route, Measured>;
}

function runsOf(server: BenchInstance): Record<Route, WrkRun> {
  const { url, token, workspaceSlug } = server.ready;
  const base = { threads: config.BENCH_WRK_THREADS, connections: config.BENCH_WRK_CONNECTIONS, durationSeconds: config.BENCH_WRK_SECONDS };
  return {
    health: { ...base, url: `${url}/api/v1/health` },
    list: { ...base, url: `${url}/api/v1/workspaces/${workspaceSlug}/connections`, headers: { authorization: `Bearer ${token}` } },
    trpc: { ...base, url: `${url}/trpc/health.ping` },
  };
}

async function main(): Promise<void> {
  const version = await wrkVersion();
  const variants: Variant[] = [];
  const codes = await codeVariants(config.BENCH_BASELINE);
  // A server that fails to start ends the run: remove what was made so far.
  process.once('exit', () => {
    for (const code of codes) if (code.src) rmSync(code.src, { recursive: true, force: true });
  });
  for (const code of codes) {
    const server = await startInstance({ database: config.BENCH_DATABASE, connections: config.BENCH_CONNECTIONS, src: code.src });
    const runs = runsOf(server);
    // Sanity: the list answers the seeded page, health answers; neither is an error page.
    const page = (await (await fetch(runs.list.url, { headers: runs.list.headers })).json()) as { items?: unknown[] };
    if (page.items?.length !== Math.min(config.BENCH_CONNECTIONS, 50)) throw new Error(`expected ${config.BENCH_CONNECTIONS} connections, got ${JSON.stringify(page).slice(0, 200)}`);
    if ((await fetch(runs.health.url)).status !== 200) throw new Error('GET /api/v1/health did not answer 200');
    const empty = () => ({ results: [], cpuUs: 0, served: 0 });
    variants.push({ code, server, runs, measured: { health: empty(), list: empty(), trpc: empty() } });
  }
  const routes = config.BENCH_ROUTES;
  const first = variants[0]!.server.ready;

  console.log(
    `REST benchmark: ${version}, node ${process.version}, ${cpus().length} CPU(s), load ${loadLine()}; system database ${first.database}; ` +
      `rate-limit store ${first.rateLimitStore}; ${config.BENCH_CONNECTIONS} connections per page; ${SLICES} alternating slices of ${config.BENCH_WRK_SECONDS} s per route` +
      (variants.length > 1 ? `; code: ${variants.map((v) => v.code.label).join(' vs ')}, slices interleaved` : ''),
  );
  for (const route of routes) console.log(`  ${commandOf(variants[0]!.runs[route])}`);

  if (config.BENCH_CPU_PROF) await mkdir(config.BENCH_CPU_PROF, { recursive: true });
  for (const variant of variants) {
    for (const route of routes) {
      await runWrk({ ...variant.runs[route], durationSeconds: WARMUP_SECONDS });
      await variant.server.settled();
    }
  }

  for (let slice = 0; slice < SLICES; slice += 1) {
    // Alternate which goes first, so neither always runs right after the other's load.
    const order = slice % 2 === 0 ? routes : [...routes].reverse();
    const variantOrder = slice % 2 === 0 ? variants : [...variants].reverse();
    for (const route of order) {
      for (const variant of variantOrder) {
        const name = `rest-${route}${variant.code.src ? '-baseline' : ''}`;
        const profile = config.BENCH_CPU_PROF && slice === 0 ? join(config.BENCH_CPU_PROF, `${name}.cpuprofile`) : undefined;
        const { result, cpuUs, requests } = await measure(variant.server, variant.runs[route], profile);
        const measured = variant.measured[route];
        measured.results.push(result);
        measured.cpuUs += cpuUs;
        measured.served += requests;
        console.log(
          `  slice ${slice + 1} ${variants.length > 1 ? `${variant.code.label} ` : ''}${route}: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.p50Ms, 2)} ms, p99 ${fmt(result.p99Ms, 2)} ms, ` +
            `CPU ${fmt(cpuUs / requests, 0)} µs/req, errors ${result.errors}, load ${loadLine()}`,
        );
      }
    }
  }
  for (const variant of variants) {
    await variant.server.stop();
    await variant.code.dispose();
  }

  const summaryOf = (measured: Measured) => {
    const requests = measured.results.reduce((sum, r) => sum + r.requests, 0);
    const seconds = measured.results.reduce((sum, r) => sum + r.durationMs, 0) / 1000;
    return {
      rps: requests / seconds,
      // Percentiles of separate runs cannot be merged: the worse slice is reported.
      p50: Math.max(...measured.results.map((r) => r.p50Ms)),
      p99: Math.max(...measured.results.map((r) => r.p99Ms)),
      cpuUsPerReq: measured.cpuUs / measured.served,
      errors: measured.results.map((r) => r.errors).filter((e) => e !== '0').join(' ') || '0',
    };
  };
  const rows = variants.flatMap((variant) => routes.map((route) => ({ variant, route, ...summaryOf(variant.measured[route]) })));
  const rowOf = (variant: Variant, route: Route) => rows.find((r) => r.variant === variant && r.route === route);
  console.log('');
  printMarkdownTable(
    [...(variants.length > 1 ? ['code'] : []), 'connections', 'route', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors', 'req/s ÷ health', ...(variants.length > 1 ? [`CPU ÷ ${variants[0]!.code.label}`] : [])],
    rows.map((row) => {
      const health = rowOf(row.variant, 'health');
      const baseline = rowOf(variants[0]!, row.route)!;
      return [
        ...(variants.length > 1 ? [row.variant.code.label] : []),
        String(config.BENCH_WRK_CONNECTIONS),
        ROUTE_LABELS[row.route],
        fmt(row.rps, 0),
        fmt(row.p50, 2),
        fmt(row.p99, 2),
        fmt(row.cpuUsPerReq, 0),
        row.errors,
        health ? fmt(row.rps / health.rps, 2) : 'n/a',
        ...(variants.length > 1 ? [fmt(row.cpuUsPerReq / baseline.cpuUsPerReq, 2)] : []),
      ];
    }),
    variants.length > 1 ? 3 : 2,
  );
  console.log("p50/p99: the worse of the slices; server CPU: the API process's user + system time over each run and its drain, per request received");

  const current = variants[variants.length - 1]!;
  const health = rowOf(current, 'health');
  const list = rowOf(current, 'list');
  const errors = rows.filter((r) => r.errors !== '0');
  const checks: TargetCheck[] = [{ target: 'no errors', measured: errors.length === 0 ? '0' : errors.map((r) => `${r.route} ${r.errors}`).join(', '), holds: errors.length === 0 }];
  if (list) checks.push({ target: `list at ${config.BENCH_WRK_CONNECTIONS} connections p99 < 500 ms`, measured: `${fmt(list.p99, 1)} ms`, holds: list.p99 < 500 });
  if (list && health) checks.push({ target: 'list throughput ≥ 0.5× health', measured: `${fmt(list.rps / health.rps, 2)}×`, holds: list.rps >= 0.5 * health.rps });
  if (list) checks.push({ target: 'server CPU per list call ≤ 500 µs', measured: `${fmt(list.cpuUsPerReq, 0)} µs`, holds: list.cpuUsPerReq <= 500 });
  if (health) checks.push({ target: 'server CPU per health call ≤ 150 µs', measured: `${fmt(health.cpuUsPerReq, 0)} µs`, holds: health.cpuUsPerReq <= 150 });
  console.log(`\ntargets (${current.code.label}):`);
  const allHold = printTargets(checks);
  if (config.BENCH_CPU_PROF) console.log(`\nCPU profiles in ${config.BENCH_CPU_PROF}; summarise one with: pnpm --filter @studio/api bench:profile <file>`);
  // A missed target is a finding, not a failure of the benchmark; errors are.
  if (errors.length > 0) process.exitCode = 1;
  if (!allHold) console.log('\n(targets missed: see above)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
