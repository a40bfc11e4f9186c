// Reaching a workspace database (services/workspace-databases.ts): the outbound policy holds at
// every connect, not only when a connection is saved or tested; a name is resolved once and the
// driver connects to the address that was vetted; the form's idle timeout and connect timeout
// reach the pool and the test. Everything runs through the real driver against the TDS emulator,
// behind a TCP proxy that counts (and can delay) the sockets opened to it.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { ConnectRefusedError } from '@studio/mssql-pool';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context';
import { problemOf as problemOfError, toTRPCError } from '../src/errors';
import { appRouter } from '../src/routers/_app';
import type { Principal } from '../src/services/authorization';
import { closeServices, type AppServices } from '../src/services/index';
import { OutboundPolicy, type Resolver } from '../src/services/outbound-policy';
import { createCallerFactory } from '../src/trpc';
import { createHarness, problemOf, type Harness, createOtherInstance } from './support/harness';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

const createCaller = createCallerFactory(appRouter);
const USER = 'wsdb_app';
const PASSWORD = 'Workspace-Databases-Passw0rd';
const DATABASE = 'wsdb';
const PROCEDURE = (name: string) => `CREATE OR ALTER PROCEDURE dbo.${name} AS SELECT 1 AS one`;

describe('reaching a workspace database', () => {
  let emulator: RunningEmulator;
  let proxy: TcpProxy;
  let h: Harness;
  const others: AppServices[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: USER, password: PASSWORD }], databases: [DATABASE], preload: true });
    proxy = await startTcpProxy(emulator.port);
    h = await createHarness(testTargets[0]!);
  }, 300_000);

  afterAll(async () => {
    for (const services of others) await closeServices(services, { poolDrainDeadlineMs: 1_000 });
    await h?.dispose();
    await proxy?.close();
    await emulator?.close();
  });

  /** Another API process on the same system database: "restarted with a different policy". */
  async function restartedWith(policy: OutboundPolicy) {
    const services = await createOtherInstance(h, { outboundPolicy: policy });
    others.push(services);
    return {
      services,
      caller: (principal: Principal) => createCaller(createContextInner({ ...services, principal, requestMeta: { ip: '203.0.113.8', userAgent: 'vitest' } })),
    };
  }

  const loginAttempts = () => emulator.control.loginCount + emulator.control.failedLoginCount;
  const connection = (options: Record<string, number> = {}) => ({ host: '127.0.0.1', port: proxy.port, database: DATABASE, user: USER, password: PASSWORD, options });

  it('with loopback refused after a loopback connection was saved, execute, publish, reset, migrate and test are refused as outbound_refused and no socket is opened', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const saved = await api.environments.create({ workspaceId: ws.id, name: 'Production', connection: connection(), autoMigrate: false });
    const connectionId = saved.environment.connectionId!;
    const created = await api.sqlEditor.create({ workspaceId: ws.id, name: 'Refused', sqlDraft: PROCEDURE('Refused') });
    await api.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });

    const restarted = await restartedWith(new OutboundPolicy({ allowLoopback: false, allow: [], deny: [] }));
    const refused = restarted.caller(owner.principal);
    const sockets = proxy.connections;
    const logins = loginAttempts();
    const outboundRefused = { code: 'FORBIDDEN', error: 'outbound_refused', details: { field: 'host', reason: 'loopback' } };

    expect(await problemOf(refused.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id }))).toMatchObject(outboundRefused);
    expect(await problemOf(refused.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }))).toMatchObject(outboundRefused);
    expect(await problemOf(refused.connections.reset({ workspaceId: ws.id, connectionId }))).toMatchObject(outboundRefused);
    expect(await problemOf(refused.connections.test({ workspaceId: ws.id, connectionId }))).toMatchObject(outboundRefused);
    const migrated = await refused.workspaceMigrations.migrate({ workspaceId: ws.id });
    expect(migrated).toMatchObject({ ok: false, outcome: 'failed', error: { code: 'outbound_refused', message: expect.stringContaining('loopback') } });

    // Below the target: a pool target built before the restart is refused by the pool manager
    // itself, before any socket, and the API shows the same problem.
    const before = await h.services.workspaceDatabases.targetOf(ws.id, { connectionId });
    const atConnect = await restarted.services.workspaceDatabases.withConnection(before, async () => 'ran').catch((error: unknown) => error);
    expect(atConnect).toBeInstanceOf(ConnectRefusedError);
    expect(problemOfError(toTRPCError(atConnect))).toMatchObject({ error: 'outbound_refused', details: { reason: 'loopback' } });

    expect(proxy.connections).toBe(sockets);
    expect(loginAttempts()).toBe(logins);
  });

  it('an environment whose connection was deleted is environment_unconfigured for the SQL editor and migrations alike', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const saved = await api.environments.create({ workspaceId: ws.id, name: 'Orphaned', connection: connection(), autoMigrate: false });
    const created = await api.sqlEditor.create({ workspaceId: ws.id, name: 'Orphaned', sqlDraft: PROCEDURE('Orphaned') });
    await api.connections.delete({ workspaceId: ws.id, connectionId: saved.environment.connectionId! });
    const unconfigured = { code: 'PRECONDITION_FAILED', details: { field: 'environmentId', reason: 'environment_unconfigured' } };

    expect(await problemOf(api.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }))).toMatchObject(unconfigured);
    expect(await problemOf(api.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, environmentId: saved.environment.id }))).toMatchObject(unconfigured);
    expect(await problemOf(api.workspaceMigrations.migrate({ workspaceId: ws.id }))).toMatchObject(unconfigured);
    expect(await problemOf(api.workspaceMigrations.status({ workspaceId: ws.id, environmentId: saved.environment.id }))).toMatchObject(unconfigured);
  });

  it('a host name that resolves to a refused address on the second lookup is never connected', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const lookups: Record<string, number> = {};
    // flip.test answers loopback once, then the cloud metadata address (DNS rebinding);
    // steady.test always answers loopback, and neither exists in real DNS.
    const resolver: Resolver = async (host) => {
      lookups[host] = (lookups[host] ?? 0) + 1;
      if (host === 'steady.test') return ['127.0.0.1'];
      if (host === 'flip.test') return lookups[host] === 1 ? ['127.0.0.1'] : ['169.254.169.254'];
      throw new Error(`unknown test host ${host}`);
    };
    const restarted = await restartedWith(new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] }, resolver));
    const api = restarted.caller(owner.principal);
    // The emulator's certificate names only the loopback names, and TLS checks it against the host
    // name (not the vetted address), so these made-up names trust the certificate as presented.
    const make = (host: string) =>
      restarted.services.connections.create(ws.id, { name: host, type: 'mssql', ...connection(), host, options: { trustServerCertificate: true } }, owner.id);
    const flip = await make('flip.test');
    const steady = await make('steady.test');
    const sockets = proxy.connections;

    // The first lookup (the target) passes; the pool's own lookup before connecting is refused.
    expect(await problemOf(api.connections.reset({ workspaceId: ws.id, connectionId: flip.id }))).toMatchObject({
      code: 'FORBIDDEN',
      error: 'outbound_refused',
      details: { reason: 'cloud_metadata' },
    });
    expect(lookups['flip.test']).toBe(2);
    expect(proxy.connections).toBe(sockets);

    // The driver connects to the address that was vetted: steady.test is not in real DNS, so any
    // lookup of its own would fail; the pool and the connection test both reach the server.
    await expect(api.connections.reset({ workspaceId: ws.id, connectionId: steady.id })).resolves.toMatchObject({ reset: true, pool: { state: 'ready' } });
    const tested = await api.connections.test({ workspaceId: ws.id, connectionId: steady.id });
    expect(tested).toMatchObject({ success: true, details: { reason: 'ok' } });
    expect(proxy.connections).toBeGreaterThan(sockets);
  });

  it('a pool whose server refuses the TCP connect says connection_refused, not a SQL Server error', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const closed = await startTcpProxy(emulator.port);
    const port = closed.port;
    await closed.close();
    const saved = await h.services.connections.create(ws.id, { name: 'closed', type: 'mssql', ...connection(), port }, owner.id);
    const problem = await problemOf(h.caller(owner.principal).connections.reset({ workspaceId: ws.id, connectionId: saved.id }));
    expect(problem).toMatchObject({ error: 'connection_operation_failed', message: expect.stringContaining('connection_refused'), details: { reason: 'connection_refused' } });
  }, 60_000);

  it('the idle timeout from the environment form closes the pool', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const saved = await api.environments.create({ workspaceId: ws.id, name: 'Idle', connection: connection({ idleTimeoutMs: 1_000 }), autoMigrate: false });
    const connectionId = saved.environment.connectionId!;
    const reset = await api.connections.reset({ workspaceId: ws.id, connectionId });
    expect(reset.pool).toMatchObject({ state: 'ready' });
    const evicted: string[] = [];
    h.services.pools.on('evict', (event) => {
      if (event.connectionId === connectionId) evicted.push(event.reason);
    });
    const deadline = Date.now() + 10_000;
    while ((await api.connections.poolStats({ workspaceId: ws.id, connectionId })).pools.length > 0) {
      if (Date.now() > deadline) throw new Error('the idle pool was not closed within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(evicted).toEqual(['idle']);
  });

  it('a connect timeout of 20 s lets a server that accepts after 8 s pass the test (and save)', async () => {
    const slow = await startTcpProxy(emulator.port, { delayMs: 8_000 });
    try {
      const owner = await h.user('owner');
      const ws = await h.workspace(owner);
      const api = h.caller(owner.principal);
      const params = { host: '127.0.0.1', port: slow.port, database: DATABASE, user: USER, password: PASSWORD };
      const saved = await api.environments.create({ workspaceId: ws.id, name: 'Slow', connection: { ...params, options: { connectTimeoutMs: 20_000 } }, autoMigrate: false });
      expect(saved.test).toMatchObject({ success: true });
      expect(saved.test!.latencyMs).toBeGreaterThanOrEqual(8_000);
      // Without the setting the default deadline (5 s) gives up first.
      const hurried = await api.connections.testDraft({ workspaceId: ws.id, type: 'mssql', ...params });
      expect(hurried).toMatchObject({ success: false, details: { reason: 'timeout' } });
    } finally {
      await slow.close();
    }
  }, 60_000);
});
