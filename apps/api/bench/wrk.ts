// wrk (https://github.com/wg/wrk) as the load generator no one here wrote: a separate process, its
// own event loop in C, so the figures do not depend on our client code. `apt-get install wrk`.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPORT_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));

export interface WrkRun {
  url: string;
  threads: number;
  connections: number;
  durationSeconds: number;
  /** Request headers; an Authorization value is shown as `$TOKEN` in `commandOf`. */
  headers?: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  durationMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers that were not 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout. */
  socketErrors: number;
  errors: string;
}

/** The request deadline: long enough that a slow answer is measured as slow, not dropped as a timeout. */
const TIMEOUT = '30s';

function argsOf(run: WrkRun): string[] {
  const args = [`-t${run.threads}`, `-c${run.connections}`, `-d${run.durationSeconds}s`, '--timeout', TIMEOUT];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}: ${value}`);
  return args;
}

/** The command line, to repeat a run by hand (the token as `$TOKEN`). */
export function commandOf(run: WrkRun): string {
  const headers = Object.entries(run.headers ?? {}).map(([name, value]) => `-H '${name}: ${name.toLowerCase() === 'authorization' ? value.replace(/\S+$/, '$TOKEN') : value}'`);
  return ['wrk', `-t${run.threads}`, `-c${run.connections}`, `-d${run.durationSeconds}s`, '--timeout', TIMEOUT, ...headers, run.url].join(' ');
}

/** `wrk debian/4.1.0-3+b2`; throws a sentence saying how to install it when it is missing. */
export function wrkVersion(): Promise<string> {
  return new Promise((resolve, reject) => {
    // `wrk -v` prints its version, then its usage, and exits 1.
    execFile('wrk', ['-v'], (error, stdout) => {
      const version = /^(wrk \S+)/.exec(stdout)?.[1];
      if (version) resolve(version);
      else reject(new Error(`wrk is not installed (apt-get install wrk; brew install wrk): the REST benchmarks drive the server with it${error ? ` (${error.message})` : ''}`));
    });
  });
}

export function runWrk(run: WrkRun): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [...argsOf(run), '-s', REPORT_SCRIPT, run.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = /^WRK_REPORT (\{.*\})$/m.exec(stdout)?.[1];
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk exited with ${code}: ${stderr.trim() || stdout.trim()}`));
        return;
      }
      const report = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; maxUs: number; connect: number; read: number; write: number; status: number; timeout: number };
      const socketErrors = report.connect + report.read + report.write + report.timeout;
      const parts = [
        ...(report.status > 0 ? [`non-2xx×${report.status}`] : []),
        ...(['connect', 'read', 'write', 'timeout'] as const).filter((kind) => report[kind] > 0).map((kind) => `${kind}×${report[kind]}`),
      ];
      // No answer inside the run: no latency to speak of (wrk would say 0).
      const none = report.requests === 0;
      resolve({
        requests: report.requests,
        durationMs: report.durationUs / 1000,
        rps: report.requests / (report.durationUs / 1e6),
        p50Ms: none ? Number.NaN : report.p50Us / 1000,
        p99Ms: none ? Number.NaN : report.p99Us / 1000,
        maxMs: none ? Number.NaN : report.maxUs / 1000,
        non2xx: report.status,
        socketErrors,
        errors: parts.length === 0 ? '0' : parts.join(' '),
      });
    });
  });
}
