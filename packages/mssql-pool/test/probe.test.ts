// `probeTarget` / `DriverAdapter.probe`: the connection test's login + version query, through each
// real driver, to the address the caller vetted (as pools connect), one connection, closed after.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeError, probeTarget, type ProbeTarget } from '../src/index';
import { databaseUrl, skipReason } from './env';
import { uniqueId, waitFor } from './helpers';
import { startCountingProxy, type CountingProxy } from './tcp-proxy';
import { startTdsServer, type TdsServer } from './tds';

function fromUrl(url: string, type: 'postgres' | 'mysql'): ProbeTarget {
  const u = new URL(url);
  return {
    type,
    host: u.hostname,
    ...(u.port !== '' && { port: Number(u.port) }),
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

async function probeFailure(promise: Promise<unknown>): Promise<ProbeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProbeError);
  return error as ProbeError;
}

describe('probe (mssql through tedious against the emulator)', () => {
  let server: TdsServer;
  let proxy: CountingProxy;
  beforeAll(async () => {
    server = await startTdsServer();
    proxy = await startCountingProxy(server.port);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });
  const target = (overrides: Partial<ProbeTarget> = {}): ProbeTarget => {
    const { workspaceId: _w, connectionId: _c, ...rest } = server.target();
    return { ...rest, ...overrides };
  };

  // The first login boots the emulator's PGlite, which takes long on a loaded machine.
  it('logs in, reads the server version and closes its one session', { timeout: 120_000 }, async () => {
    const logins = server.logins();
    const result = await probeTarget(target(), { timeoutMs: 100_000 });
    expect(result.serverVersion).toMatch(/^Microsoft SQL Server 2022/);
    expect(result.encrypted).toBe(false);
    expect(result.loginMs).toBeGreaterThan(0);
    expect(server.logins()).toBe(logins + 1);
    await waitFor(() => server.sessions() === 0, 10_000, 'the probe session to close');
  });

  it('connects to the vetted address, never resolving the host name itself', async () => {
    const before = proxy.connections;
    const result = await probeTarget(target({ host: 'sql.example.invalid', port: proxy.port }), { addressOf: async () => '127.0.0.1', timeoutMs: 20_000 });
    expect(result.serverVersion).toMatch(/Microsoft SQL Server/);
    expect(proxy.connections).toBe(before + 1);
  });

  it('a refused address opens no socket and fails the login step', async () => {
    const before = proxy.connections;
    const failure = await probeFailure(
      probeTarget(target({ port: proxy.port }), {
        addressOf: () => Promise.reject(new Error('169.254.169.254 is refused')),
        timeoutMs: 20_000,
      }),
    );
    expect(failure.step).toBe('login');
    expect(proxy.connections).toBe(before);
  });

  it('a wrong password is authentication_failed (18456), an unknown database database_not_found (4060)', async () => {
    const wrong = await probeFailure(probeTarget(target({ password: 'not-the-password' }), { timeoutMs: 20_000 }));
    expect(wrong).toMatchObject({ step: 'login', reason: 'authentication_failed', errorCode: '18456' });
    expect(wrong.message).not.toContain('not-the-password');
    const missing = await probeFailure(probeTarget(target({ database: 'no_such_db' }), { timeoutMs: 20_000 }));
    expect(missing).toMatchObject({ step: 'login', reason: 'database_not_found', errorCode: '4060' });
  });
});

const PG_URL = databaseUrl('PG_URL');

describe.skipIf(PG_URL === undefined)(`probe (postgres through pg)${PG_URL === undefined ? ` (skipped: ${skipReason('PG_URL')})` : ''}`, () => {
  const role = uniqueId('probetest');
  const password = `pw-${uniqueId('secret')}`;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  });
  afterAll(async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });
  const sessions = async () => Number((await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_stat_activity WHERE usename = $1', [role])).rows[0]?.n ?? 0);

  it('logs in through the vetted address, reads version() and closes its session', async () => {
    const result = await probeTarget({ ...fromUrl(PG_URL!, 'postgres'), host: 'pg.example.invalid', user: role, password }, { addressOf: async () => '127.0.0.1', timeoutMs: 20_000 });
    expect(result.serverVersion).toMatch(/^PostgreSQL \d+/);
    await waitFor(async () => (await sessions()) === 0, 10_000, 'the probe session to close');
  });

  // The machine's PostgreSQL trusts local logins (no password is checked), so the refused login
  // here is an unknown role: SQLSTATE 28000, the same loginReasonOf class as 28P01.
  it('a refused login is authentication_failed', async () => {
    const failure = await probeFailure(probeTarget({ ...fromUrl(PG_URL!, 'postgres'), user: uniqueId('nobody'), password: 'not-the-password' }, { timeoutMs: 20_000 }));
    expect(failure).toMatchObject({ step: 'login', reason: 'authentication_failed' });
    expect(['28P01', '28000']).toContain(failure.errorCode);
  });
});

const MYSQL_URL = databaseUrl('MYSQL_URL');

describe.skipIf(MYSQL_URL === undefined)(`probe (mariadb through mysql2)${MYSQL_URL === undefined ? ` (skipped: ${skipReason('MYSQL_URL')})` : ''}`, () => {
  it('logs in through the vetted address and reads VERSION()', async () => {
    const result = await probeTarget({ ...fromUrl(MYSQL_URL!, 'mysql'), host: 'db.example.invalid' }, { addressOf: async () => '127.0.0.1', timeoutMs: 20_000 });
    expect(result.serverVersion).toMatch(/MariaDB|^\d+\.\d+\.\d+/);
  });

  it('a wrong password is authentication_failed (1045)', async () => {
    const failure = await probeFailure(probeTarget({ ...fromUrl(MYSQL_URL!, 'mysql'), password: 'not-the-password' }, { timeoutMs: 20_000 }));
    expect(failure).toMatchObject({ step: 'login', reason: 'authentication_failed', errorCode: '1045' });
  });
});
