// MISSION F2 "test a connection": connections.test / testDraft / validate / status / reset /
// poolStats against the TDS emulator (real mssql wire protocol), plus the machine's PostgreSQL and
// MariaDB as other connection types when PG_URL / MYSQL_URL are set.
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, useHarness, problemOf, type Harness } from './support/harness';

const GOOD_PASSWORD = 'Emulated-Good-Passw0rd';
const WRONG_PASSWORD = 'Wrong-Passw0rd-Never-Shown';

let emulator: RunningEmulator;
/** Accepts TCP connections and never answers: a black-holed server. */
let blackHole: Server;
const heldSockets: Socket[] = [];
/** A port with nothing listening (bound, then closed). */
let closedPort: number;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: GOOD_PASSWORD }], databases: ['appdb'], preload: true });
  blackHole = createServer((socket) => {
    heldSockets.push(socket);
    socket.on('error', () => undefined);
  });
  await listen(blackHole);
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  for (const socket of heldSockets) socket.destroy();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  await emulator.close();
});

describe.each(testTargets)('connection tests on $name', (target) => {
  const h = useHarness(target);

  async function setup() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = await api.connections.create({
      workspaceId: ws.id,
      name: 'emulated',
      type: 'mssql',
      host: '127.0.0.1',
      port: emulator.port,
      database: 'appdb',
      user: 'app',
      password: GOOD_PASSWORD,
    });
    return { owner, ws, api, connection };
  }

  it('tests a saved connection: every step, the server version, status healthy', async () => {
    const { ws, api, connection } = await setup();
    const result = await api.connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(result).toMatchObject({ success: true, status: 'healthy', details: { reason: 'ok', database_type: 'mssql', error_code: null } });
    expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['tls', true],
      ['login', true],
      ['query', true],
    ]);
    // The emulator negotiates TLS for the driver's default encrypt: true (tedious 20 refuses a
    // server that does not), with the test run's certificate, which this process trusts.
    const tls = result.steps.find((s) => s.name === 'tls');
    expect(tls).toMatchObject({ ok: true });
    expect(tls).not.toHaveProperty('skipped');
    expect(result.serverVersion).toMatch(/SQL Server/);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const status = await api.connections.status({ workspaceId: ws.id, connectionId: connection.id });
    expect(status).toMatchObject({ status: 'healthy', lastError: null, pool: null, circuitOpen: false });
    expect(status.lastTestedAt).toBeInstanceOf(Date);
  });

  it('a wrong password answers 18456 / authentication_failed, records it, and never echoes the password', async () => {
    const { ws, api, connection } = await setup();
    await api.connections.update({ workspaceId: ws.id, connectionId: connection.id, password: WRONG_PASSWORD });
    const result = await api.connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(result).toMatchObject({ success: false, status: 'unhealthy', details: { reason: 'authentication_failed', database_type: 'mssql', error_code: '18456' } });
    // A step that did not run says so (issue 12), in the order the steps happen: tls is negotiated
    // inside the login, which failed, so it is not reported as run.
    expect(result.steps.map((s) => [s.name, s.ok, s.notRun ?? false])).toEqual([
      ['dns', true, false],
      ['tcp', true, false],
      ['tls', false, true],
      ['login', false, false],
      ['query', false, true],
    ]);
    expect(result.message).toMatch(/Login failed/);
    const [row] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row).toMatchObject({ status: 'unhealthy' });
    expect(row?.lastError).toMatch(/Login failed/);
    expect(row?.lastTestedAt).toBeInstanceOf(Date);
    const audit = await h.auditRows(ws.id);
    const testRow = audit.find((r) => r.action === 'connection.test');
    expect(testRow).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ reason: 'authentication_failed', errorCode: '18456' }) });
    const everything = JSON.stringify({ result, audit, row: { lastError: row?.lastError } });
    expect(everything).not.toContain(WRONG_PASSWORD);
    expect(everything).not.toContain(GOOD_PASSWORD);
  });

  it('an unknown database answers 4060 / database_not_found', async () => {
    const { ws, api } = await setup();
    const result = await api.connections.testDraft({ workspaceId: ws.id, type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'nope', user: 'app', password: GOOD_PASSWORD });
    expect(result.details).toEqual({ reason: 'database_not_found', database_type: 'mssql', error_code: '4060' });
  });

  it('testDraft against a server that accepts and never answers returns a timeout within the deadline', async () => {
    const { ws, api } = await setup();
    const deadlineMs = 1_000;
    const started = performance.now();
    const result = await api.connections.testDraft({
      workspaceId: ws.id,
      type: 'mssql',
      host: '127.0.0.1',
      port: (blackHole.address() as { port: number }).port,
      database: 'appdb',
      user: 'app',
      password: GOOD_PASSWORD,
      timeoutMs: deadlineMs,
    });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ success: false, details: { reason: 'timeout', database_type: 'mssql' } });
    // The login timed out; tls (negotiated inside it) and the query never ran, and say so.
    expect(result.steps.map((s) => [s.name, s.ok, s.notRun ?? false])).toEqual([
      ['dns', true, false],
      ['tcp', true, false],
      ['tls', false, true],
      ['login', false, false],
      ['query', false, true],
    ]);
    // The tester's own clock: deadline + 10 %.
    expect(result.latencyMs).toBeLessThan(deadlineMs * 1.1);
    // The whole call also reads the workspace and writes a rate-limit count and an audit row on the
    // system database; on the shared 2-core machine those can take a few hundred ms under load, so
    // the wall-clock bound adds a stated scheduling allowance of 400 ms.
    expect(elapsed).toBeLessThan(deadlineMs * 1.1 + 400);
  });

  it('a closed port is connection_refused; an outbound-refused host is reported as such', async () => {
    const { ws, api } = await setup();
    const refused = await api.connections.testDraft({ workspaceId: ws.id, type: 'mssql', host: '127.0.0.1', port: closedPort, database: 'd', user: 'u' });
    expect(refused.details).toMatchObject({ reason: 'connection_refused', error_code: 'ECONNREFUSED' });
    expect(refused.steps.map((s) => [s.name, s.ok, s.notRun ?? false])).toEqual([
      ['dns', true, false],
      ['tcp', false, false],
      ['tls', false, true],
      ['login', false, true],
      ['query', false, true],
    ]);
    const metadata = await api.connections.testDraft({ workspaceId: ws.id, type: 'mssql', host: 'metadata.test', port: 1433, database: 'd', user: 'u' });
    expect(metadata.details).toMatchObject({ reason: 'outbound_refused', error_code: 'cloud_metadata' });
    expect(metadata.steps).toEqual([
      expect.objectContaining({ name: 'dns', ok: false }),
      ...(['tcp', 'tls', 'login', 'query'] as const).map((name) => expect.objectContaining({ name, ok: false, notRun: true, reason: 'not run: dns failed' })),
    ]);
  });

  it('validate checks input and the outbound policy without connecting', async () => {
    const { ws, api } = await setup();
    const logins = emulator.control.loginCount;
    expect(await api.connections.validate({ workspaceId: ws.id, type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app' })).toEqual({ valid: true, problems: [] });
    expect(await api.connections.validate({ workspaceId: ws.id, type: 'mssql', host: 'metadata.test', port: 1433, database: 'd', user: 'u' })).toMatchObject({
      valid: false,
      problems: [{ field: 'host', reason: 'cloud_metadata' }],
    });
    const bad = await problemOf(api.connections.validate({ workspaceId: ws.id, type: 'mssql', host: 'not a host', port: 0, database: 'd', user: 'u' }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    expect(emulator.control.loginCount).toBe(logins);
  });

  it('reset drains and recreates the pool; poolStats and status show it', async () => {
    const { ws, api, connection } = await setup();
    const empty = await api.connections.poolStats({ workspaceId: ws.id });
    expect(empty).toEqual({ pools: [], circuits: [], totals: { pools: 0, connections: 0, borrowed: 0, waiters: 0 } });

    const first = await api.connections.reset({ workspaceId: ws.id, connectionId: connection.id });
    expect(first).toMatchObject({ connectionId: connection.id, reset: true, pool: { connectionId: connection.id, type: 'mssql', state: 'ready', poolSize: 10 } });
    const logins = emulator.control.loginCount;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await api.connections.reset({ workspaceId: ws.id, connectionId: connection.id });
    expect(second.pool?.createdAt.getTime()).toBeGreaterThan(first.pool!.createdAt.getTime());
    expect(emulator.control.loginCount).toBeGreaterThan(logins);

    const stats = await api.connections.poolStats({ workspaceId: ws.id, connectionId: connection.id });
    const live = stats.pools.filter((p) => p.state === 'ready');
    expect(live).toHaveLength(1);
    expect(live[0]).toEqual({
      connectionId: connection.id,
      type: 'mssql',
      state: 'ready',
      // The connection's own server (no failover partner), and not a read-intent pool.
      server: { host: connection.host, port: connection.port },
      readOnlyIntent: false,
      poolSize: 10,
      size: expect.any(Number),
      borrowed: 0,
      idle: expect.any(Number),
      waiters: 0,
      leases: 0,
      errors: 0,
      consecutiveFailures: 0,
      createdAt: expect.any(Date),
      lastUsedAt: expect.any(Date),
      acquires: 1,
      acquireAvgMs: expect.any(Number),
      // The driver's default for SQL Server, and what the pool's connection actually negotiated.
      encryption: 'required',
      tls: expect.objectContaining({ encrypted: true, protocol: 'TLSv1.2', authorized: true }),
    });
    expect(JSON.stringify(stats)).not.toContain(GOOD_PASSWORD);
    const status = await api.connections.status({ workspaceId: ws.id, connectionId: connection.id });
    expect(status.pool).toMatchObject({ state: 'ready', createdAt: second.pool!.createdAt });
    const audit = await h.auditRows(ws.id);
    expect(audit.filter((r) => r.action === 'connection.reset').map((r) => r.outcome)).toEqual(['success', 'success']);
  });

  it('a reset whose login fails is an F10 connection_operation_failed with the number', async () => {
    const { ws, api, connection } = await setup();
    await api.connections.update({ workspaceId: ws.id, connectionId: connection.id, password: WRONG_PASSWORD });
    const problem = await problemOf(api.connections.reset({ workspaceId: ws.id, connectionId: connection.id }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'connection_operation_failed', details: { reason: 'authentication_failed', error_code: '18456' } });
    expect(JSON.stringify(problem)).not.toContain(WRONG_PASSWORD);
  });

  it('updating or deleting a connection invalidates its pool; deleting unconfigures its environments', async () => {
    const { ws, api, connection } = await setup();
    await api.connections.reset({ workspaceId: ws.id, connectionId: connection.id });
    const created = await api.environments.create({ workspaceId: ws.id, name: 'prod', connectionId: connection.id });
    const livePools = () => h.services.pools.stats().pools.filter((p) => p.connectionId === connection.id && p.state !== 'draining' && p.state !== 'closed');
    expect(livePools()).toHaveLength(1);

    await api.connections.update({ workspaceId: ws.id, connectionId: connection.id, description: 'touched' });
    await vi.waitFor(() => expect(livePools()).toHaveLength(0));

    await api.connections.reset({ workspaceId: ws.id, connectionId: connection.id });
    expect(livePools()).toHaveLength(1);
    await api.connections.delete({ workspaceId: ws.id, connectionId: connection.id });
    await vi.waitFor(() => expect(livePools()).toHaveLength(0));
    const environment = await api.environments.get({ workspaceId: ws.id, environmentId: created.environment.id });
    expect(environment).toMatchObject({ connectionId: null, connection: null });
  });

  it('the 31st test in an hour is TOO_MANY_REQUESTS with retry-after', async () => {
    const { ws, api } = await setup();
    const draft = { workspaceId: ws.id, type: 'mssql' as const, host: '127.0.0.1', port: closedPort, database: 'd', user: 'u' };
    for (let i = 0; i < 30; i++) await api.connections.testDraft(draft);
    const limited = await problemOf(api.connections.testDraft(draft));
    expect(limited).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', details: { bucket: 'connectionTest', limit: 30 } });
    expect(limited.details.retryAfterSeconds).toBeGreaterThan(0);
  });
});

const pgUrl = process.env.PG_URL;
const mysqlUrl = process.env.MYSQL_URL;
const inCi = process.env.CI === 'true';

function draftOf(url: string, type: 'postgres' | 'mysql') {
  const parsed = new URL(url);
  return {
    type,
    host: parsed.hostname,
    port: Number(parsed.port || (type === 'postgres' ? 5432 : 3306)),
    database: decodeURIComponent(parsed.pathname.slice(1)) || (type === 'postgres' ? 'postgres' : 'test'),
    user: decodeURIComponent(parsed.username),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

describe.each([
  // A server that trusts local connections refuses an unknown role with 28000 rather than 28P01
  // (wrong password); MariaDB answers 1698 instead of 1045 for a user without a password.
  { name: 'postgres', url: pgUrl, variable: 'PG_URL', serverVersion: /PostgreSQL/, authCodes: ['28P01', '28000'], missingDbCode: '3D000' },
  { name: 'mysql', url: mysqlUrl, variable: 'MYSQL_URL', serverVersion: /\d+\.\d+/, authCodes: ['1045', '1698'], missingDbCode: '1049' },
] as const)('connection tests against a real $name server', ({ name, url, variable, serverVersion, authCodes, missingDbCode }) => {
  if (!url && inCi) {
    it(`needs ${variable} in CI`, () => {
      expect.fail(`${variable} is not set; CI must provide a ${name} server`);
    });
    return;
  }
  const maybe = url ? it : it.skip;
  let h: Harness;
  beforeAll(async () => {
    if (url) h = await createHarness(testTargets[0]!);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  maybe(`succeeds with the server version (skipped without ${variable})`, async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const result = await api.connections.testDraft({ workspaceId: ws.id, ...draftOf(url!, name) });
    expect(result).toMatchObject({ success: true, details: { reason: 'ok', database_type: name } });
    expect(result.serverVersion).toMatch(serverVersion);
    expect(result.steps.map((s) => s.name)).toEqual(['dns', 'tcp', 'tls', 'login', 'query']);
  });

  maybe(`maps a wrong password and a missing database (skipped without ${variable})`, async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const draft = draftOf(url!, name);
    // A user that does not exist fails authentication even on servers that trust local connections.
    const wrong = await api.connections.testDraft({ workspaceId: ws.id, ...draft, user: 'studio_no_such_user', password: WRONG_PASSWORD });
    expect(wrong.details).toMatchObject({ reason: 'authentication_failed', database_type: name });
    expect(authCodes).toContain(wrong.details.error_code);
    expect(JSON.stringify(wrong)).not.toContain(WRONG_PASSWORD);
    const missing = await api.connections.testDraft({ workspaceId: ws.id, ...draft, database: 'studio_no_such_database' });
    expect(missing.details).toEqual({ reason: 'database_not_found', database_type: name, error_code: missingDbCode });
  });
});
