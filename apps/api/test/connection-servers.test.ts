// A connection's other servers (issue 18, item 3): SQL Server's failover partner, PostgreSQL's
// alternate hosts and target_session_attrs. Each host passes the outbound policy, belongs to its
// type, counts as a new destination for the stored password, and reaches the pool target.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

describe.each(testTargets.slice(0, 1))('connection servers on $name', (target) => {
  const h = useHarness(target);
  const sqlServer = { type: 'mssql' as const, host: '127.0.0.1', port: 1433, database: 'd', user: 'u', password: 'pw' };

  async function setup() {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    return { ws, api: h.caller(owner.principal) };
  }

  it('stores a failover partner and hands it to the pool target', async () => {
    const { ws, api } = await setup();
    const c = await api.connections.create({ workspaceId: ws.id, name: 'mirrored', ...sqlServer, options: { failoverPartner: { host: '127.0.0.2', port: 1533 } } });
    expect(c.options).toEqual({ failoverPartner: { host: '127.0.0.2', port: 1533 } });
    const database = await h.services.workspaceDatabases.targetOf(ws.id, { connectionId: c.id });
    expect(database.poolTarget.options).toMatchObject({ failoverPartner: { host: '127.0.0.2', port: 1533 } });
    const pg = await api.connections.create({
      workspaceId: ws.id,
      name: 'replicated',
      ...sqlServer,
      type: 'postgres',
      port: 5432,
      options: { alternateHosts: [{ host: '127.0.0.3' }], targetSessionAttrs: 'read-write' },
    });
    expect((await h.services.workspaceDatabases.targetOf(ws.id, { connectionId: pg.id })).poolTarget.options).toMatchObject({ alternateHosts: [{ host: '127.0.0.3' }], targetSessionAttrs: 'read-write' });
  });

  it('refuses options of another type of server, naming the field', async () => {
    const { ws, api } = await setup();
    const partnerOnPostgres = await problemOf(api.connections.create({ workspaceId: ws.id, name: 'x', ...sqlServer, type: 'postgres', options: { failoverPartner: { host: '127.0.0.2' } } }));
    expect(partnerOnPostgres).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'options.failoverPartner' } });
    const hostsOnSqlServer = await problemOf(api.connections.create({ workspaceId: ws.id, name: 'y', ...sqlServer, options: { alternateHosts: [{ host: '127.0.0.2' }] } }));
    expect(hostsOnSqlServer).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'options.alternateHosts' } });
  });

  it('refuses a partner or alternate host the outbound policy refuses, naming it', async () => {
    const { ws, api } = await setup();
    const problem = await problemOf(api.connections.create({ workspaceId: ws.id, name: 'm', ...sqlServer, options: { failoverPartner: { host: '169.254.169.254' } } }));
    expect(problem).toMatchObject({ code: 'FORBIDDEN', error: 'outbound_refused', details: { reason: 'cloud_metadata', field: 'options.failoverPartner.host' } });
    const c = await api.connections.create({ workspaceId: ws.id, name: 'p', ...sqlServer, type: 'postgres', port: 5432 });
    const moved = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: c.id, options: { alternateHosts: [{ host: '127.0.0.2' }, { host: 'metadata.test' }] } }));
    expect(moved).toMatchObject({ code: 'FORBIDDEN', error: 'outbound_refused', details: { field: 'options.alternateHosts.1.host' } });
  });

  it('a new partner is a new destination for the stored password: it must be given again', async () => {
    const { ws, api } = await setup();
    const c = await api.connections.create({ workspaceId: ws.id, name: 'm', ...sqlServer });
    const problem = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: c.id, options: { failoverPartner: { host: '127.0.0.2' } } }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'password_required', details: { field: 'password', changed: ['options.failoverPartner'] } });
    const saved = await api.connections.update({ workspaceId: ws.id, connectionId: c.id, password: 'pw', options: { failoverPartner: { host: '127.0.0.2' } } });
    expect(saved.options).toEqual({ failoverPartner: { host: '127.0.0.2' } });
    // Dropping it moves the password nowhere new.
    await expect(api.connections.update({ workspaceId: ws.id, connectionId: c.id, options: {} })).resolves.toMatchObject({ options: {} });
  });

  describe('read intent', () => {
    let emulator: RunningEmulator;
    beforeAll(async () => {
      emulator = await startEmulator({ users: [{ user: 'app', password: 'Intent-Passw0rd' }], databases: ['appdb'], preload: true });
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it('schema browsing and read-only console runs log in with ApplicationIntent=ReadOnly; read-write runs do not', { timeout: 60_000 }, async () => {
      const { ws, api } = await setup();
      const c = await api.connections.create({ workspaceId: ws.id, name: 'routed', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: 'Intent-Passw0rd', options: { readIntent: true } });
      await api.console.setAccess({ workspaceId: ws.id, connectionId: c.id, access: 'read-write' });
      const pools = () => h.services.pools.stats().pools.filter((p) => p.connectionId === c.id && p.state === 'ready');

      await api.connections.schema({ workspaceId: ws.id, connectionId: c.id });
      expect(pools().map((p) => p.readOnlyIntent)).toEqual([true]);
      expect(emulator.control.sessions().map((s) => s.readOnlyIntent)).toEqual(emulator.control.sessions().map(() => true));

      await api.console.run({ workspaceId: ws.id, connectionId: c.id, mode: 'read-only', sql: 'SELECT 1 AS one' });
      expect(pools().map((p) => p.readOnlyIntent)).toEqual([true]);
      await api.console.run({ workspaceId: ws.id, connectionId: c.id, mode: 'read-write', sql: 'SELECT 1 AS one' });
      expect(pools().map((p) => p.readOnlyIntent).sort()).toEqual([false, true]);
      expect(new Set(emulator.control.sessions().map((s) => s.readOnlyIntent))).toEqual(new Set([true, false]));
      // The status names the read-write pool and the server it is on; poolStats lists both.
      const status = await api.connections.status({ workspaceId: ws.id, connectionId: c.id });
      expect(status.pool).toMatchObject({ readOnlyIntent: false, server: { host: '127.0.0.1', port: emulator.port } });
      const { pools: listed } = await api.connections.poolStats({ workspaceId: ws.id });
      expect(listed.filter((p) => p.connectionId === c.id && p.state === 'ready').map((p) => p.readOnlyIntent).sort()).toEqual([false, true]);

      // Without the option everything shares the read-write pool.
      const plain = await api.connections.create({ workspaceId: ws.id, name: 'plain', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: 'Intent-Passw0rd' });
      await api.connections.schema({ workspaceId: ws.id, connectionId: plain.id });
      expect(h.services.pools.stats().pools.filter((p) => p.connectionId === plain.id).map((p) => p.readOnlyIntent)).toEqual([false]);
    });

    it('is a SQL Server option', async () => {
      const { ws, api } = await setup();
      const problem = await problemOf(api.connections.create({ workspaceId: ws.id, name: 'pg', ...sqlServer, type: 'postgres', port: 5432, options: { readIntent: true } }));
      expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'options.readIntent' } });
    });
  });
});
