// `pnpm --filter @studio/api bench:scale-out`: two API instances on one PostgreSQL (and Redis, with
// REDIS_URL) as a load balancer would run them. Prints the throughput of the connections list on
// one instance against the same 1,000 wrk connections spread over both, then checks what must hold
// across instances: a rate limit counts calls on both (one budget, not one per instance), and a
// token revoked through one instance is refused by both.
//
//   BENCH_WRK_CONNECTIONS  total connections (default 1000); BENCH_WRK_SECONDS per slice (default 10)
//   BENCH_CONNECTIONS      connections in the listed workspace (default 25)
//   BENCH_LIMIT            the pool-stats limit used for the rate-limit check (default 40 per minute)
//   REDIS_URL              counters in Redis (unset: in the shared PostgreSQL database)
import { cpus } from 'node:os';
import { z } from 'zod';
import { fmt, loadLine, printMarkdownTable, printTargets, startInstance, type BenchInstance } from './instances';
import { BENCH_OWNER } from './server';
import { commandOf, runWrk, wrkVersion, type WrkResult, type WrkRun } from './wrk';

const config = z
  .object({
    BENCH_WRK_CONNECTIONS: z.coerce.number().int().min(2).max(20_000).default(1_000),
    BENCH_WRK_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    BENCH_CONNECTIONS: z.coerce.number().int().min(0).max(200).default(25),
    BENCH_LIMIT: z.coerce.number().int().min(1).max(1_000).default(40),
  })
  .parse(process.env);

const SLICES = 2;
/** How long a revocation may take to reach the other instance before the check fails. */
const REVOCATION_DEADLINE_MS = 1_000;

/** Every bucket out of the way but pool-stats, the one the rate-limit check spends. */
const rateLimits = `${['list', 'status', 'webRead', 'signIn', 'signInIp']
  .map((bucket) => `${bucket}=999999999/1`)
  .join(',')},poolStats=${config.BENCH_LIMIT}/60`;

interface Spread {
  rps: number;
  p99: number;
  errors: string;
  cpuUs: number;
  served: number;
}

/** wrk against each URL at once (connections and threads split evenly); totals across them. */
async function spread(instances: BenchInstance[], runOf: (instance: BenchInstance, share: number) => WrkRun): Promise<Spread> {
  const before = await Promise.all(instances.map((i) => i.cpu()));
  const results: WrkResult[] = await Promise.all(instances.map((instance) => runWrk(runOf(instance, instances.length))));
  await Promise.all(instances.map((i) => i.settled()));
  const after = await Promise.all(instances.map((i) => i.cpu()));
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0),
    p99: Math.max(...results.map((r) => r.p99Ms)),
    errors: results.map((r) => r.errors).filter((e) => e !== '0').join(' ') || '0',
    cpuUs: after.reduce((sum, a, i) => sum + a.cpuUs - before[i]!.cpuUs, 0),
    served: after.reduce((sum, a, i) => sum + a.requests - before[i]!.requests, 0),
  };
}

async function signIn(url: string): Promise<string> {
  const response = await fetch(`${url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { username: BENCH_OWNER.username, password: BENCH_OWNER.password } }),
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('studio_session='));
  if (!response.ok || !cookie) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return cookie.split(';')[0]!;
}

async function main(): Promise<void> {
  const version = await wrkVersion();
  const a = await startInstance({ database: 'postgres', connections: config.BENCH_CONNECTIONS, rateLimits });
  if (!a.ready.join) throw new Error('the first instance did not say how to join its database');
  const b = await startInstance({ database: 'postgres', connections: config.BENCH_CONNECTIONS, rateLimits, join: a.ready.join });
  const instances = [a, b];
  const { token, workspaceSlug } = a.ready;
  const listPath = `/api/v1/workspaces/${workspaceSlug}/connections`;
  const listRun = (instance: BenchInstance, share: number): WrkRun => ({
    url: `${instance.ready.url}${listPath}`,
    threads: Math.max(1, 2 / share),
    connections: Math.floor(config.BENCH_WRK_CONNECTIONS / share),
    durationSeconds: config.BENCH_WRK_SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });

  console.log(
    `Scale-out benchmark: ${version}, node ${process.version}, ${cpus().length} CPU(s), load ${loadLine()}; system database ${a.ready.database} shared by 2 instances; ` +
      `rate-limit store ${a.ready.rateLimitStore}; ${SLICES} alternating slices of ${config.BENCH_WRK_SECONDS} s`,
  );
  console.log(`  one instance:  ${commandOf(listRun(a, 1))}`);
  console.log(`  two instances: ${commandOf(listRun(a, 2))}  and the same against the second instance, at once`);

  for (const instance of instances) {
    const answer = await fetch(`${instance.ready.url}${listPath}`, { headers: { authorization: `Bearer ${token}` } });
    if (answer.status !== 200) throw new Error(`instance ${instance.ready.url} answered the list with ${answer.status}`);
  }
  await spread(instances, (instance, share) => ({ ...listRun(instance, share), durationSeconds: 3 }));

  const totals = { one: [] as Spread[], two: [] as Spread[] };
  for (let slice = 0; slice < SLICES; slice += 1) {
    const order = slice % 2 === 0 ? (['one', 'two'] as const) : (['two', 'one'] as const);
    for (const shape of order) {
      const result = await spread(shape === 'one' ? [a] : instances, listRun);
      totals[shape].push(result);
      console.log(`  slice ${slice + 1} ${shape === 'one' ? 'one instance ' : 'two instances'}: ${fmt(result.rps, 0)} req/s, p99 ${fmt(result.p99, 1)} ms, CPU ${fmt(result.cpuUs / result.served, 0)} µs/req, errors ${result.errors}, load ${loadLine()}`);
    }
  }
  const summary = (shape: 'one' | 'two') => {
    const runs = totals[shape];
    return {
      rps: runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.p99)),
      cpu: runs.reduce((sum, r) => sum + r.cpuUs, 0) / runs.reduce((sum, r) => sum + r.served, 0),
      errors: runs.map((r) => r.errors).filter((e) => e !== '0').join(' ') || '0',
    };
  };
  const one = summary('one');
  const two = summary('two');
  console.log('');
  printMarkdownTable(
    ['instances', 'route', 'wrk connections', 'req/s', 'p99 ms', 'server CPU µs/req', 'errors', 'req/s ratio'],
    [
      ['1', `GET ${listPath} (${config.BENCH_CONNECTIONS} rows)`, String(config.BENCH_WRK_CONNECTIONS), fmt(one.rps, 0), fmt(one.p99, 1), fmt(one.cpu, 0), one.errors, '1.00'],
      ['2', `GET ${listPath} (${config.BENCH_CONNECTIONS} rows)`, `${config.BENCH_WRK_CONNECTIONS / 2} + ${config.BENCH_WRK_CONNECTIONS / 2}`, fmt(two.rps, 0), fmt(two.p99, 1), fmt(two.cpu, 0), two.errors, fmt(two.rps / one.rps, 2)],
    ],
  );

  // A rate limit is one budget across instances: 2×limit calls, alternating, give limit answers.
  const poolStats = `/api/v1/workspaces/${workspaceSlug}/connections/pool-stats`;
  const statuses: number[] = [];
  for (let i = 0; i < 2 * config.BENCH_LIMIT; i += 1) {
    const instance = instances[i % 2]!;
    const answer = await fetch(`${instance.ready.url}${poolStats}`, { headers: { authorization: `Bearer ${token}` } });
    await answer.arrayBuffer();
    statuses.push(answer.status);
  }
  const answered = statuses.filter((s) => s === 200).length;
  const refused = statuses.filter((s) => s === 429).length;

  // Revocation: a spare token works on both, is revoked by its Owner through instance A's REST API,
  // and must then be refused by both.
  const spare = a.ready.spareTokens[0]!;
  const listWith = (instance: BenchInstance) => fetch(`${instance.ready.url}${listPath}`, { headers: { authorization: `Bearer ${spare.token}` } }).then(async (r) => (await r.arrayBuffer(), r.status));
  const beforeRevoke = await Promise.all(instances.map(listWith));
  const cookie = await signIn(a.ready.url);
  const revoke = await fetch(`${a.ready.url}/api/v1/workspaces/${workspaceSlug}/tokens/${spare.id}`, { method: 'DELETE', headers: { cookie } });
  if (revoke.status !== 200) throw new Error(`revoking through the API answered ${revoke.status}: ${await revoke.text()}`);
  const revokedAt = Date.now();
  const refusedAfterMs = await Promise.all(
    instances.map(async (instance) => {
      while (Date.now() - revokedAt < REVOCATION_DEADLINE_MS) {
        if ((await listWith(instance)) === 401) return Date.now() - revokedAt;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return Number.POSITIVE_INFINITY;
    }),
  );

  await b.stop();
  await a.stop();

  const holds = printTargets([
    { target: 'no errors', measured: `one instance ${one.errors}, two instances ${two.errors}`, holds: one.errors === '0' && two.errors === '0' },
    {
      target: `pool-stats limit ${config.BENCH_LIMIT}/min counts across both instances (${2 * config.BENCH_LIMIT} calls alternating → ${config.BENCH_LIMIT} answered, ${config.BENCH_LIMIT} refused)`,
      measured: `${answered} answered, ${refused} refused with 429`,
      holds: answered === config.BENCH_LIMIT && refused === config.BENCH_LIMIT,
    },
    {
      target: `a token revoked through instance 1 is refused by both within ${REVOCATION_DEADLINE_MS} ms`,
      measured: `before: ${beforeRevoke.join('/')}; refused after ${refusedAfterMs.map((ms) => (Number.isFinite(ms) ? `${ms} ms` : 'never')).join(' / ')}`,
      holds: beforeRevoke.every((s) => s === 200) && refusedAfterMs.every(Number.isFinite),
    },
  ]);
  // Exit rather than wait: the fetch client's sockets to the stopped instances can hold the loop open.
  process.exit(holds ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
