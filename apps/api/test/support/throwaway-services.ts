// A PostgreSQL cluster and a Redis server of the test's own, started from the machine's server
// binaries, so the fault suite can stop, kill and freeze them without touching shared services.
// Signals go to the server and every process it forked (PostgreSQL's backends each start their own
// session, so a process-group signal would miss them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';
const REDIS_SERVER = '/usr/bin/redis-server';

/** The newest installed PostgreSQL server's bin folder, or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((name) => existsSync(join(PG_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

/** Why the throwaway services cannot run here, or undefined when they can. */
export function missingServerBinaries(): string | undefined {
  if (postgresBinDir() === undefined) return `no PostgreSQL server binaries under ${PG_ROOT}/*/bin`;
  if (!existsSync(REDIS_SERVER)) return `no ${REDIS_SERVER}`;
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** PostgreSQL refuses to run as root: under root the cluster belongs to the `postgres` (or `nobody`) user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL');
}

export interface ThrowawayProcess {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP to the whole process group: alive, accepting TCP, answering nothing. */
  freeze(): void;
  thaw(): void;
  /** SIGKILL to the whole process group, then waits for the process to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after kill). */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `pid` and its descendants, parents first, read from /proc. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name (2nd field) is in parentheses and may contain spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = children.get(ppid) ?? [];
    siblings.push(Number(entry));
    children.set(ppid, siblings);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function group(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (const pid of processTree(child.pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Exited meanwhile.
    }
  }
}

async function killGroup(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  group(child, 'SIGCONT');
  group(child, 'SIGKILL');
  await exited;
}

function spawnServer(command: string, args: string[], options: { uid?: number; gid?: number; ready: RegExp }): Promise<ChildProcess> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(options.uid !== undefined && { uid: options.uid, gid: options.gid }) });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready.test(output)) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining so a full pipe never blocks the server.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
}

/** initdb in a temp folder, then `postgres` on a free port (trust auth, no fsync). */
export async function startThrowawayPostgres(): Promise<ThrowawayProcess> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('no PostgreSQL server binaries');
  const owner = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'studio-faults-pg-'));
  if (owner) await chown(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
    encoding: 'utf8',
    ...(owner && { uid: owner.uid, gid: owner.gid }),
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50'];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnServer(join(bin, 'postgres'), args, { ...owner, ready: /ready to accept connections/ });
  };
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    freeze: () => group(child, 'SIGSTOP'),
    thaw: () => group(child, 'SIGCONT'),
    kill: () => killGroup(child),
    start,
    async dispose() {
      await killGroup(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server` on a free port, nothing persisted. */
export async function startThrowawayRedis(): Promise<ThrowawayProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnServer(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { ready: /Ready to accept connections/i });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    freeze: () => group(child, 'SIGSTOP'),
    thaw: () => group(child, 'SIGCONT'),
    kill: () => killGroup(child),
    start,
    dispose: () => killGroup(child),
  };
}

export { waitUntil };
