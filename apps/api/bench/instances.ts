// The benchmarks' side of bench/server.ts: start an API instance in a child process and ask it over
// IPC for its CPU time, a CPU profile of a phase, or a token revocation.
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import type { BenchJoin, BenchServerReady, BenchServerReply, BenchServerRequest } from './server';

export interface InstanceOptions {
  database: 'pglite' | 'postgres';
  connections: number;
  /** Join the database (and key ring) of an instance already started. */
  join?: BenchJoin | undefined;
  /** RATE_LIMITS for this instance; default: no bucket ever refuses. */
  rateLimits?: string | undefined;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Load the app from this folder's src/ (another commit, see baseline.ts). */
  src?: string | undefined;
}

export interface ServerCounters {
  cpuUs: number;
  requests: number;
}

export interface BenchInstance {
  ready: BenchServerReady;
  /** The server process's user + system CPU time (µs) and the requests it has received. */
  cpu(): Promise<ServerCounters>;
  /** V8 CPU profile of what the server does between start and stop, written to `file`. */
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  /** Revokes one of `ready.spareTokens` through the service (as a person's revoke would). */
  revoke(tokenId: string): Promise<void>;
  /**
   * Resolves once the server is idle (under 10 % of a core over 250 ms): a load generator that
   * stops leaves up to one request per connection still being answered, which would otherwise
   * land on the next phase.
   */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const SETTLE_WINDOW_MS = 250;
const SETTLE_DEADLINE_MS = 120_000;

type Ask = Exclude<BenchServerRequest, { type: 'stop' }>;
type AskWithoutId = Ask extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export function startInstance(options: InstanceOptions): Promise<BenchInstance> {
  const child = fork(new URL('./server.ts', import.meta.url), [], {
    env: {
      ...process.env,
      BENCH_CONNECTIONS: String(options.connections),
      BENCH_DATABASE: options.database,
      BENCH_JOIN: options.join ? JSON.stringify(options.join) : '',
      BENCH_SRC: options.src ?? '',
      ...(options.rateLimits === undefined ? {} : { BENCH_RATE_LIMITS: options.rateLimits }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
  });
  let nextId = 0;
  const waiting = new Map<number, (reply: BenchServerReply) => void>();
  const ask = (request: AskWithoutId): Promise<BenchServerReply> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, (reply) => {
        waiting.delete(id);
        resolve(reply);
      });
      child.send({ ...request, id } as BenchServerRequest);
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before it was ready`)));
    child.on('message', (message: BenchServerReply) => {
      if (message.type === 'failed') {
        reject(new Error(`bench server failed: ${message.message}`));
        console.error(`bench server failed: ${message.message}`);
      }
      if (message.type === 'cpu' || message.type === 'done') waiting.get(message.id)?.(message);
      if (message.type !== 'ready') return;
      child.removeAllListeners('exit');
      const exited = new Promise((done) => child.once('exit', done));
      const cpu = async (): Promise<ServerCounters> => {
        const reply = await ask({ type: 'cpu' });
        return reply.type === 'cpu' ? { cpuUs: reply.usage.user + reply.usage.system, requests: reply.requests } : { cpuUs: Number.NaN, requests: 0 };
      };
      resolve({
        ready: message,
        cpu,
        profileStart: async () => void (await ask({ type: 'profile-start' })),
        profileStop: async (file) => void (await ask({ type: 'profile-stop', file })),
        revoke: async (tokenId) => void (await ask({ type: 'revoke', tokenId })),
        settled: async () => {
          const deadline = Date.now() + SETTLE_DEADLINE_MS;
          let last = (await cpu()).cpuUs;
          while (Date.now() < deadline) {
            await new Promise((done) => setTimeout(done, SETTLE_WINDOW_MS));
            const now = (await cpu()).cpuUs;
            if (now - last < SETTLE_WINDOW_MS * 100) return;
            last = now;
          }
        },
        stop: async () => {
          if (child.exitCode === null) child.send({ type: 'stop' } satisfies BenchServerRequest);
          await exited;
        },
      });
    });
  });
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function loadLine(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** A markdown table (what the README's benchmark section shows); columns after `textColumns` right-aligned. */
export function printMarkdownTable(header: string[], rows: string[][], textColumns = 2): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i < textColumns ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

export interface TargetCheck {
  target: string;
  measured: string;
  holds: boolean;
}

/** Prints each issue target with what was measured; returns whether all hold. */
export function printTargets(checks: TargetCheck[]): boolean {
  console.log('');
  for (const check of checks) console.log(`  ${check.holds ? 'holds  ' : 'MISSED '} ${check.target}: ${check.measured}`);
  return checks.every((check) => check.holds);
}
