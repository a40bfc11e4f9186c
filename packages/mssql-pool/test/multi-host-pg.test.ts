// PostgreSQL with several hosts (issue 18, item 3): libpq's host list and target_session_attrs.
// The machine's PostgreSQL is the read-write server; a closed port plays a host that is down and
// a rewriting proxy plays a hot standby (every session read-only).
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type ConnectionTargetOf, type PoolFailoverEvent } from '../src/index';
import { databaseUrl, skipReason } from './env';
import { recordEvents, targetFromUrl, uniqueId, waitFor } from './helpers';
import { closedPort, startReadOnlyPostgresProxy, type CountingProxy } from './tcp-proxy';

const PG_URL = databaseUrl('PG_URL');

describe.skipIf(PG_URL === undefined)(`postgres host list${PG_URL === undefined ? ` (skipped: ${skipReason('PG_URL')})` : ''}`, () => {
  const role = uniqueId('multihost');
  const password = `pw-${uniqueId('secret')}`;
  let admin: pg.Client;
  let standby: CountingProxy;
  let down: number;
  const real = new URL(PG_URL ?? 'postgres://localhost');
  const realPort = Number(real.port || 5432);
  const managers: WorkspacePoolManager[] = [];

  const target = (first: number, rest: number[], attrs?: 'read-write' | 'any'): ConnectionTargetOf<'postgres'> =>
    targetFromUrl(PG_URL!, 'postgres', {
      workspaceId: uniqueId('ws'),
      connectionId: 'hosts',
      host: '127.0.0.1',
      port: first,
      user: role,
      password,
      options: { alternateHosts: rest.map((port) => ({ host: '127.0.0.1', port })), ...(attrs && { targetSessionAttrs: attrs }) },
    });
  const manager = () => {
    const m = new WorkspacePoolManager();
    managers.push(m);
    return m;
  };
  const readOnly = async (m: WorkspacePoolManager, t: ConnectionTargetOf<'postgres'>) =>
    (await m.query<{ transaction_read_only: string }>(t, 'SHOW transaction_read_only')).rows[0]?.transaction_read_only;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    standby = await startReadOnlyPostgresProxy(realPort);
    down = await closedPort();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close({ deadlineMs: 1000 })));
  });
  afterAll(async () => {
    await standby?.close();
    await admin?.query(`DROP ROLE IF EXISTS ${role}`);
    await admin?.end();
  });

  it('tries the hosts in order: a host that is down is skipped, and the pool says where it went', async () => {
    const m = manager();
    const events = recordEvents(m);
    const t = target(down, [realPort]);
    expect(await readOnly(m, t)).toBe('off');
    expect(m.stats().pools.map((p) => p.server)).toEqual([{ host: '127.0.0.1', port: realPort }]);
    expect(events.filter((e) => e.name === 'failover').map((e) => e.payload as PoolFailoverEvent)).toMatchObject([{ from: { port: down }, to: { port: realPort }, inFlight: 0 }]);
  });

  it('target_session_attrs=read-write skips a read-only server; any takes the first that answers', async () => {
    const m = manager();
    expect(await readOnly(m, target(standby.port, [realPort], 'read-write'))).toBe('off');
    expect(await readOnly(m, target(standby.port, [realPort], 'any'))).toBe('on');
    expect(await readOnly(m, target(standby.port, [realPort]))).toBe('on');
    const failure = await m.query(target(standby.port, [], 'read-write'), 'SELECT 1').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'POOL_CREATE', driverCode: 'EREADONLY', transient: true });
  });

  it('a pool whose host dies moves to the next one that answers', { timeout: 30_000 }, async () => {
    const proxy = await startReadOnlyPostgresProxy(realPort);
    const m = manager();
    const events = recordEvents(m);
    const t = target(proxy.port, [realPort]);
    expect(await readOnly(m, t)).toBe('on');
    await proxy.close();
    // The call that finds the dead host may fail (it was in flight there); later ones are on the next host.
    await waitFor(async () => (await readOnly(m, t).catch(() => undefined)) === 'off', 20_000, 'the pool to move');
    expect(events.filter((e) => e.name === 'failover').map((e) => (e.payload as PoolFailoverEvent).to.port)).toEqual([realPort]);
    expect(m.counters.failovers).toBe(1);
  });
});
