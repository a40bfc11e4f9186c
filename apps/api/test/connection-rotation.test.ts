// Rotating a connection's password under load (issue 18, item 4): the save verifies the new
// settings first. A wrong password is refused with the server's 18456 and nothing is saved; the
// right one (changed on the server first) is saved and the pools move to it behind the traffic.
// Neither fails a single call, and the old pool is drained.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

const SA_PASSWORD = 'Rotation-Sa-Passw0rd';
const FIRST = 'Rotation-First-Passw0rd';
const SECOND = 'Rotation-Second-Passw0rd';
const WRONG = 'Rotation-Wrong-Passw0rd';

// The system database plays no part in this: the embedded one is enough.
describe.each(testTargets.slice(0, 1))('password rotation under load on $name', (target) => {
  const h = useHarness(target);
  let emulator: RunningEmulator;
  let admin: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: 'sa', password: SA_PASSWORD }, { user: 'app', password: FIRST }], databases: ['appdb'], preload: true });
    admin = await new sql.ConnectionPool(emulator.configFor({ user: 'sa', password: SA_PASSWORD })).connect();
  });
  afterAll(async () => {
    await admin?.close();
    await emulator?.close();
  });

  it('a wrong password is refused with 18456 and a right one is taken over, with zero failed calls', { timeout: 120_000 }, async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = await api.connections.create({ workspaceId: ws.id, name: 'rotating', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: FIRST, options: { poolSize: 4 } });
    const databases = h.services.workspaceDatabases;
    const pools = h.services.pools;
    const events: Array<{ name: string; key: string; reason?: string }> = [];
    pools.on('replace', (e) => events.push({ name: 'replace', key: e.key, reason: e.reason }));
    pools.on('evict', (e) => events.push({ name: 'evict', key: e.key, reason: e.reason }));

    // The load: every call reads the connection from the registry and leases its pool, as routers do.
    let calls = 0;
    const failures: unknown[] = [];
    let running = true;
    const call = async () => {
      const database = await databases.targetOf(ws.id, { connectionId: connection.id });
      await databases.withConnection(database, (lease) => lease.query('SELECT 1 AS one'));
    };
    const load = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (running) {
        const one = call().then(
          () => void calls++,
          (error: unknown) => void failures.push(error),
        );
        inFlight.add(one);
        void one.finally(() => inFlight.delete(one));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Promise.all(inFlight);
    })();
    const callsReach = async (n: number) => {
      while (calls < n && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await callsReach(50);
    const firstKey = pools.stats().pools.find((p) => p.connectionId === connection.id)!.key;
    const failedBefore = pools.counters.verificationFailures;

    // A wrong password: verified before saving, refused with the server's number, nothing saved.
    const refused = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: connection.id, password: WRONG }));
    expect(refused).toMatchObject({ error: 'connection_operation_failed', details: { reason: 'authentication_failed', database_type: 'mssql', error_code: '18456' } });
    expect(refused.message).toContain('nothing was saved');
    expect(JSON.stringify(refused)).not.toContain(WRONG);
    expect(pools.counters.verificationFailures).toBe(failedBefore + 1);
    const [stored] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(h.services.keyRing.decrypt(stored!.passwordEncrypted!, `connection:${connection.id}:password`)).toBe(FIRST);
    await callsReach(calls + 50);
    expect(pools.stats().pools.filter((p) => p.connectionId === connection.id).map((p) => [p.key, p.state])).toEqual([[firstKey, 'ready']]);

    // The rotation as an operator does it: the server first, then the registry. A call holds the
    // old pool through the save, so the new pool has to take over behind the traffic.
    await admin.request().batch(`ALTER LOGIN app WITH PASSWORD = '${SECOND}'`);
    const held = databases.withConnection(await databases.targetOf(ws.id, { connectionId: connection.id }), (lease) => lease.query("WAITFOR DELAY '00:00:01'; SELECT 1 AS one"));
    const saved = await api.connections.update({ workspaceId: ws.id, connectionId: connection.id, password: SECOND });
    expect(saved).toMatchObject({ status: 'healthy', hasPassword: true });
    await held;
    const drained = async () => {
      while (!events.some((e) => e.name === 'evict' && e.key === firstKey) && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await drained();
    await callsReach(calls + 50);
    running = false;
    await load;

    expect(failures).toEqual([]);
    expect(events.find((e) => e.name === 'replace')).toMatchObject({ reason: 'settings' });
    expect(events.find((e) => e.name === 'evict' && e.key === firstKey)).toMatchObject({ reason: 'replaced' });
    const live = pools.stats().pools.filter((p) => p.connectionId === connection.id);
    expect(live.map((p) => p.state)).toEqual(['ready']);
    expect(live[0]!.key).not.toBe(firstKey);
    const audit = await h.auditRows(ws.id);
    // Newest first: the refused save, then the verified one.
    expect(audit.filter((r) => r.action === 'connection.update').map((r) => [r.outcome, r.details])).toEqual([
      ['success', { changed: ['password'], verified: true }],
      ['failure', { changed: ['password'], reason: 'authentication_failed', errorCode: '18456' }],
    ]);
    await admin.request().batch(`ALTER LOGIN app WITH PASSWORD = '${FIRST}'`);
  });
});
