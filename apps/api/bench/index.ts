// `pnpm bench` (apps/api): connections.list over real HTTP with the SDK client, against the
// cheapest procedure of the same server (health.ping: public, no database, returns a constant
// apart from its timestamp) as the floor of HTTP + tRPC + superjson. Closed-loop clients at each
// concurrency; the two procedures alternate in slices so machine noise hits both alike.
//
//   BENCH_DURATION_MS   measured time per procedure per concurrency (default 8000)
//   BENCH_WARMUP_MS     unmeasured warm-up at the start, 10 clients (default 2000)
//   BENCH_CONCURRENCY   comma-separated client counts (default 1,100,1000)
//   BENCH_CONNECTIONS   connections in the listed workspace (default 25; one page)
//   BENCH_DATABASE      pglite (default) | postgres (a scratch database on DATABASE_URL)
//   BENCH_CPU_PROF      a folder: V8 CPU profiles of the server, one per procedure per concurrency
import { mkdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { createClient, isStudioApiError, type StudioClient } from '../../../packages/sdk/src/index';
import { fmt, printTargets, startInstance } from './instances';

// The SDK is imported by path: a package dependency would make @studio/api and @studio/sdk depend
// on each other (the SDK takes AppRouter's type from here), a cycle turbo refuses.

const config = z
  .object({
    BENCH_DURATION_MS: z.coerce.number().int().min(200).default(8_000),
    BENCH_WARMUP_MS: z.coerce.number().int().min(0).default(2_000),
    BENCH_CONCURRENCY: z
      .string()
      .default('1,100,1000')
      .transform((v) => v.split(',').map((n) => Number(n.trim())))
      .pipe(z.array(z.number().int().min(1).max(10_000)).min(1)),
    BENCH_CONNECTIONS: z.coerce.number().int().min(0).max(200).default(25),
    BENCH_DATABASE: z.enum(['pglite', 'postgres']).default('pglite'),
    BENCH_CPU_PROF: z.string().min(1).optional(),
  })
  .parse(process.env);

/** Slices per procedure per concurrency; alternating baseline/list slices spreads drift over both. */
const SLICES = 2;

type Procedure = 'baseline' | 'list';

interface Sample {
  /** Latencies of the calls that completed inside the measured window. */
  latenciesMs: number[];
  windowMs: number;
  /** Every call completed in the phase, the drain after the window included (for CPU per call). */
  completed: number;
  errors: Map<string, number>;
  serverCpuUs: number;
}

/**
 * `clients` closed loops (one call in flight each). The measured window opens once every client has
 * had its first answer (at 1,000 clients the first round is a queue burst, not the steady state)
 * and lasts `durationMs`; calls completing inside it count for latency and req/s. Calls in flight
 * when it closes are awaited, so the next phase starts on an idle server, but not counted.
 */
/** One message per error code, printed when first seen, so a failing run says why. */
const errorExamples = new Map<string, string>();

async function drive(clients: StudioClient[], call: (client: StudioClient) => Promise<unknown>, durationMs: number): Promise<Omit<Sample, 'serverCpuUs'>> {
  const latenciesMs: number[] = [];
  const errors = new Map<string, number>();
  let completed = 0;
  let firstAnswers = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  const windowEnd = () => windowStart + durationMs;
  await Promise.all(
    clients.map(async (client) => {
      let first = true;
      while (performance.now() < windowEnd()) {
        const t0 = performance.now();
        try {
          await call(client);
          completed += 1;
          const t1 = performance.now();
          if (t1 >= windowStart && t1 <= windowEnd()) latenciesMs.push(t1 - t0);
        } catch (error) {
          const key = isStudioApiError(error) ? error.code : 'UNKNOWN';
          errors.set(key, (errors.get(key) ?? 0) + 1);
          if (!errorExamples.has(key)) {
            errorExamples.set(key, error instanceof Error ? error.message : String(error));
            console.log(`  first ${key}: ${errorExamples.get(key)}`);
          }
        }
        if (first) {
          first = false;
          firstAnswers += 1;
          if (firstAnswers === clients.length) windowStart = performance.now();
        }
      }
    }),
  );
  return { latenciesMs, windowMs: durationMs, completed, errors };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Row {
  concurrency: number;
  procedure: Procedure;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  cpuUsPerReq: number;
  errors: string;
}

function summarise(concurrency: number, procedure: Procedure, samples: Sample[]): Row {
  const latencies = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const windowMs = samples.reduce((sum, s) => sum + s.windowMs, 0);
  const completed = samples.reduce((sum, s) => sum + s.completed, 0);
  const cpu = samples.reduce((sum, s) => sum + s.serverCpuUs, 0);
  const errors = new Map<string, number>();
  for (const s of samples) for (const [code, n] of s.errors) errors.set(code, (errors.get(code) ?? 0) + n);
  return {
    concurrency,
    procedure,
    requests: latencies.length,
    rps: (latencies.length / windowMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuUsPerReq: completed > 0 ? cpu / completed : Number.NaN,
    errors: errors.size === 0 ? '0' : [...errors].map(([code, n]) => `${code}×${n}`).join(' '),
  };
}


function printTable(rows: Row[]): void {
  const header = ['clients', 'procedure', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors', 'req/s ratio', 'p50 ratio', 'p99 ratio'];
  const lines = [header];
  for (const row of rows) {
    const base = rows.find((r) => r.concurrency === row.concurrency && r.procedure === 'baseline')!;
    const isBase = row.procedure === 'baseline';
    lines.push([
      String(row.concurrency),
      isBase ? 'health.ping (baseline)' : 'connections.list',
      fmt(row.rps, 0),
      fmt(row.p50, 2),
      fmt(row.p99, 2),
      fmt(row.cpuUsPerReq, 0),
      row.errors,
      isBase ? '1.00' : fmt(row.rps / base.rps, 2),
      isBase ? '1.00' : fmt(row.p50 / base.p50, 2),
      isBase ? '1.00' : fmt(row.p99 / base.p99, 2),
    ]);
  }
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const line of lines.slice(1)) console.log(`| ${line.join(' | ')} |`);
}

async function main(): Promise<void> {
  const server = await startInstance({ database: config.BENCH_DATABASE, connections: config.BENCH_CONNECTIONS });
  if (config.BENCH_CPU_PROF) await mkdir(config.BENCH_CPU_PROF, { recursive: true });
  const { url, token, workspaceSlug } = server.ready;
  console.log(
    `API benchmark: node ${process.version}, ${cpus().length} CPU(s), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; system database ${server.ready.database}; rate-limit store ${server.ready.rateLimitStore}; ${config.BENCH_CONNECTIONS} connections per list page; ` +
      `${config.BENCH_DURATION_MS} ms measured per procedure per concurrency, in ${SLICES} alternating slices`,
  );

  const calls: Record<Procedure, (client: StudioClient) => Promise<unknown>> = {
    baseline: (client) => client.health.ping.query(),
    list: (client) => client.connections.list.query({ workspaceSlug }),
  };
  // Sanity: the list really answers the seeded page, the baseline really answers.
  const probe = createClient({ url, token });
  const page = await probe.connections.list.query({ workspaceSlug });
  if (page.items.length !== Math.min(config.BENCH_CONNECTIONS, 50)) throw new Error(`expected ${config.BENCH_CONNECTIONS} connections, got ${page.items.length}`);
  if (!(await createClient({ url }).health.ping.query()).ok) throw new Error('health.ping did not answer ok');

  // JIT and connection warm-up; each phase below also waits for its steady state before measuring.
  const warmClients = Array.from({ length: 10 }, () => createClient({ url, token }));
  await drive(warmClients, calls.baseline, config.BENCH_WARMUP_MS / 2);
  await drive(warmClients, calls.list, config.BENCH_WARMUP_MS / 2);

  const rows: Row[] = [];
  for (const concurrency of config.BENCH_CONCURRENCY) {
    // One SDK client per simulated service; the baseline ones are anonymous (ping is public).
    const clients: Record<Procedure, StudioClient[]> = {
      baseline: Array.from({ length: concurrency }, () => createClient({ url })),
      list: Array.from({ length: concurrency }, () => createClient({ url, token })),
    };

    const samples: Record<Procedure, Sample[]> = { baseline: [], list: [] };
    for (let slice = 0; slice < SLICES; slice += 1) {
      // Alternate which goes first, so neither always runs right after the other's load.
      const order: Procedure[] = slice % 2 === 0 ? ['baseline', 'list'] : ['list', 'baseline'];
      for (const procedure of order) {
        const profile = config.BENCH_CPU_PROF && slice === 0 ? join(config.BENCH_CPU_PROF, `sdk-${procedure}-${concurrency}.cpuprofile`) : undefined;
        if (profile) await server.profileStart();
        const cpuBefore = await server.cpu();
        const sample = await drive(clients[procedure], calls[procedure], config.BENCH_DURATION_MS / SLICES);
        samples[procedure].push({ ...sample, serverCpuUs: (await server.cpu()).cpuUs - cpuBefore.cpuUs });
        if (profile) await server.profileStop(profile);
      }
    }
    for (const procedure of ['baseline', 'list'] as const) {
      const row = summarise(concurrency, procedure, samples[procedure]);
      rows.push(row);
      console.log(`  ${concurrency} client(s) ${procedure}: ${fmt(row.rps, 0)} req/s, p50 ${fmt(row.p50, 2)} ms, p99 ${fmt(row.p99, 2)} ms, errors ${row.errors}`);
    }
  }

  console.log('');
  printTable(rows);
  console.log('\nratios: connections.list ÷ health.ping at the same concurrency (req/s below 1 and latency above 1 = the cost of auth, workspace resolution, rate limit, query and decryption)');

  await server.stop();
  // Issue 17's target for the embedded default: one client's list p50 within 3 ms.
  const single = rows.find((r) => r.concurrency === 1 && r.procedure === 'list');
  if (config.BENCH_DATABASE === 'pglite' && single) {
    printTargets([{ target: 'PGlite: connections.list p50 ≤ 3 ms at 1 client', measured: `${fmt(single.p50, 2)} ms`, holds: single.p50 <= 3 }]);
  }
  if (rows.some((r) => r.errors !== '0')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
