/**
 * A throwaway PostgreSQL cluster with TLS on, from the machine's PostgreSQL binaries
 * (/usr/lib/postgresql/<version>/bin, as Debian and CI install them): initdb into a temp folder,
 * `postgres` on a free loopback port with ssl = on and the certificate given, TLS-only password
 * logins (pg_hba `hostssl … scram-sha-256`). initdb refuses to run as root, so under root the
 * cluster runs as the `postgres` system user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN_ROOT = '/usr/lib/postgresql';

/** The newest PostgreSQL bin folder with initdb and postgres, or undefined. */
export function postgresBinaries(): string | undefined {
  if (!existsSync(BIN_ROOT)) return undefined;
  const versions = readdirSync(BIN_ROOT)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(BIN_ROOT, v, 'bin', 'initdb')) && existsSync(join(BIN_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(BIN_ROOT, versions[0], 'bin');
}

/** Who runs the cluster: ourselves, or the `postgres` system user when we are root. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root and there is no postgres user to run a throwaway cluster as');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PostgresCluster {
  port: number;
  user: string;
  password: string;
  close(): Promise<void>;
}

export async function startTlsCluster(bin: string, tls: { cert: string; key: string }): Promise<PostgresCluster> {
  const owner = clusterOwner();
  const dir = await mkdtemp(join(tmpdir(), 'studio-pg-tls-'));
  const data = join(dir, 'data');
  const user = 'tls_tester';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const own = async (path: string) => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  await own(dir);
  await writeFile(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'server.crt'), tls.cert);
  await writeFile(join(dir, 'server.key'), tls.key, { mode: 0o600 });
  for (const file of ['pwfile', 'server.crt', 'server.key']) await own(join(dir, file));
  await chmod(join(dir, 'server.key'), 0o600);

  const initdb = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', user, '--pwfile', join(dir, 'pwfile'), '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-sync'], {
    ...(owner && { uid: owner.uid, gid: owner.gid }),
    encoding: 'utf8',
  });
  if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout}`);
  // Password logins over TLS only: a plaintext attempt is rejected by the server itself.
  await writeFile(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n');

  const port = await freePort();
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'ssl=on', '-c', `ssl_cert_file=${join(dir, 'server.crt')}`, '-c', `ssl_key_file=${join(dir, 'server.key')}`, '-c', 'fsync=off'],
    { ...(owner && { uid: owner.uid, gid: owner.gid }), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ host: dir, port, user, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
        throw new Error(`the throwaway PostgreSQL did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    port,
    user,
    password,
    async close() {
      if (server.exitCode === null) {
        // SIGINT: fast shutdown (sessions are cut, no checkpoint wait).
        server.kill('SIGINT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
