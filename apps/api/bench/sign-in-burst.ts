// `pnpm --filter @studio/api bench:sign-in`: how a burst of sign-ins affects everyone else. Starts
// the real API in a child process, measures /healthz latency at rest, then fires
// BENCH_SIGN_INS concurrent sign-ins (wrong passwords, each from its own X-Forwarded-For address
// so the per-address budget does not turn them away) while probing /healthz one request at a
// time, and prints the latencies and the sign-in answers by status.
//
//   BENCH_SIGN_INS      concurrent sign-ins (default 300)
//   BENCH_PROBE_MS      pause between /healthz probes (default 20)
//   BENCH_TRUST_PROXY   TRUST_PROXY of the server (default true)
import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

const config = z
  .object({
    BENCH_SIGN_INS: z.coerce.number().int().min(1).max(5_000).default(300),
    BENCH_PROBE_MS: z.coerce.number().int().min(0).max(1_000).default(20),
  })
  .parse(process.env);

const child = fork(new URL('./sign-in-server.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { url, dataDir } = await new Promise<{ url: string; dataDir: string }>((resolve, reject) => {
  child.once('message', (message) => resolve(message as { url: string; dataDir: string }));
  child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

async function waitReady() {
  for (;;) {
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function probeHealth(until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  do {
    const started = performance.now();
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, config.BENCH_PROBE_MS));
  } while (!until());
  return latencies;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { probes: sorted.length, p50: +at(0.5).toFixed(1), p95: +at(0.95).toFixed(1), p99: +at(0.99).toFixed(1), max: +(sorted.at(-1) ?? 0).toFixed(1) };
}

async function signIn(i: number): Promise<number> {
  const response = await fetch(`${url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.${(i >> 8) & 255}.${i & 255}` },
    body: JSON.stringify({ json: { username: i % 2 === 0 ? 'admin' : `nobody${i}`, password: `wrong-${i}` } }),
  });
  await response.arrayBuffer();
  return response.status;
}

try {
  await waitReady();
  let restDone = false;
  setTimeout(() => {
    restDone = true;
  }, 2_000);
  const atRest = summary(await probeHealth(() => restDone));

  let burstDone = false;
  const started = performance.now();
  const burst = Promise.all(Array.from({ length: config.BENCH_SIGN_INS }, (_, i) => signIn(i))).finally(() => {
    burstDone = true;
  });
  const during = summary(await probeHealth(() => burstDone));
  const statuses = await burst;
  const burstMs = performance.now() - started;
  const byStatus = Object.fromEntries([...new Set(statuses)].sort().map((status) => [status, statuses.filter((s) => s === status).length]));

  console.log(JSON.stringify({ cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)), signIns: config.BENCH_SIGN_INS, burstMs: Math.round(burstMs), signInStatuses: byStatus, healthzAtRestMs: atRest, healthzDuringBurstMs: during }, null, 2));
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
