// The stored password is write-only: whoever may edit a connection must not be able to point it at
// a server they run and have a test send the password there. Changing where a credential goes
// (type, host, port, database, user, a weaker TLS channel) needs the password again, through
// connections and environments, tRPC and REST alike; and the refused change saves nothing.
import { randomBytes } from 'node:crypto';
import { testTargets } from '@studio/db/testing';
import { generateTlsCredentials } from '@studio/mssql-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakePostgres, type FakePostgres } from './support/fake-postgres';
import { problemOf, useHarness } from './support/harness';
import { startTestApp, type TestApp } from './support/http-app';

const STORED = `stored-${randomBytes(6).toString('hex')}`;
const FRESH = `fresh-${randomBytes(6).toString('hex')}`;

let home: FakePostgres;
let attacker: FakePostgres;
/** Two CA certificates (a CA is validated on the way in: it must parse and be valid now). */
let CA_1: string;
let CA_2: string;

beforeAll(async () => {
  home = await startFakePostgres();
  attacker = await startFakePostgres();
  const [first, second] = await Promise.all([generateTlsCredentials(), generateTlsCredentials()]);
  CA_1 = first.ca;
  CA_2 = second.ca;
});

afterAll(async () => {
  await home.close();
  await attacker.close();
});

afterEach(() => {
  home.logins.length = 0;
  attacker.logins.length = 0;
});

const passwordsAt = (server: FakePostgres) => server.logins.map((login) => login.password);

describe.each(testTargets)('a changed connection target needs the password again on $name', (target) => {
  const h = useHarness(target);

  async function setup() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const ownerApi = h.caller(owner.principal);
    const connection = await ownerApi.connections.create({ workspaceId: ws.id, name: 'reporting', type: 'postgres', host: home.host, port: home.port, database: 'sales', user: 'reporter', password: STORED });
    const manager = await h.user('manager');
    await h.member(ws.id, manager, 'Member');
    await ownerApi.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: manager.id, level: 'manage' });
    return { ws, connection, ownerApi, managerApi: h.caller(manager.principal) };
  }

  it('refuses a Member with `manage` who moves the connection without the password; no password reaches the new server', async () => {
    const { ws, connection, managerApi } = await setup();
    const connectionsBefore = attacker.connections;
    const moves = [
      { patch: { port: attacker.port }, changed: ['port'] },
      { patch: { host: '127.0.0.2' }, changed: ['host'] },
      { patch: { type: 'mysql' as const }, changed: ['type'] },
      { patch: { database: 'other' }, changed: ['database'] },
      { patch: { user: 'someone-else' }, changed: ['user'] },
      { patch: { host: '127.0.0.2', port: attacker.port, user: 'x' }, changed: ['host', 'port', 'user'] },
    ];
    for (const move of moves) {
      const problem = await problemOf(managerApi.connections.update({ workspaceId: ws.id, connectionId: connection.id, ...move.patch }));
      expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'password_required', details: { field: 'password', changed: move.changed } });
      expect(problem.message).toContain('password');
      expect(problem.message).not.toContain(STORED);
    }
    // Nothing half-saved: still the home server, still untouched otherwise.
    expect(await managerApi.connections.get({ workspaceId: ws.id, connectionId: connection.id })).toMatchObject({ type: 'postgres', host: home.host, port: home.port, database: 'sales', user: 'reporter', hasPassword: true });

    // A test after the refusals goes home, with the stored password; the new server saw nothing.
    const tested = await managerApi.connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(tested).toMatchObject({ success: false, details: { reason: 'authentication_failed' } });
    expect(passwordsAt(home)).toEqual([STORED]);
    expect(attacker.logins).toEqual([]);
    expect(attacker.connections).toBe(connectionsBefore);

    // Edits that keep the destination need no password.
    await expect(managerApi.connections.update({ workspaceId: ws.id, connectionId: connection.id, description: 'kept', host: home.host, port: home.port, options: { poolSize: 3 } })).resolves.toMatchObject({ description: 'kept', hasPassword: true });
  });

  it('a move with a new password sends only the new password to the new server', async () => {
    const { ws, connection, managerApi } = await setup();
    const moved = await managerApi.connections.update({ workspaceId: ws.id, connectionId: connection.id, port: attacker.port, password: FRESH });
    expect(moved).toMatchObject({ port: attacker.port, hasPassword: true, status: 'unknown' });
    await managerApi.connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(passwordsAt(attacker)).toEqual([FRESH]);
    expect(home.logins).toEqual([]);

    // Clearing the password while moving is allowed: nothing is carried along.
    const cleared = await managerApi.connections.update({ workspaceId: ws.id, connectionId: connection.id, port: home.port, password: null });
    expect(cleared).toMatchObject({ port: home.port, hasPassword: false });
  });

  it('a weaker TLS channel needs the password too (TLS off, certificate unchecked, another CA)', async () => {
    const { ws, ownerApi } = await setup();
    const secured = await ownerApi.connections.create({ workspaceId: ws.id, name: 'tls', type: 'mssql', host: '127.0.0.1', port: 1433, database: 'd', user: 'sa', password: STORED, options: { tls: true, ca: CA_1 } });
    const weaker = [
      { options: { tls: false }, changed: ['options.tls'] },
      { options: { tls: true, trustServerCertificate: true }, changed: ['options.trustServerCertificate'] },
      { options: { tls: true, ca: CA_2 }, changed: ['options.ca'] },
    ];
    for (const change of weaker) {
      const problem = await problemOf(ownerApi.connections.update({ workspaceId: ws.id, connectionId: secured.id, ...change }));
      expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'password_required', details: { field: 'password', changed: change.changed } });
    }
    expect((await ownerApi.connections.get({ workspaceId: ws.id, connectionId: secured.id })).options).toEqual({ tls: true, ca: CA_1 });
    // Stronger or equal: no password needed.
    await expect(ownerApi.connections.update({ workspaceId: ws.id, connectionId: secured.id, options: { tls: true, ca: CA_1, poolSize: 4 } })).resolves.toMatchObject({ options: { poolSize: 4 } });
  });

  it('an Admin API token is refused the same way', async () => {
    const { ws, connection } = await setup();
    const token = await h.token(ws.id, 'Admin');
    const problem = await problemOf(h.caller(token.principal).connections.update({ workspaceId: ws.id, connectionId: connection.id, host: '127.0.0.2', port: attacker.port }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'password_required', details: { field: 'password' } });
  });

  it('environments: moving the SQL Server connection without the password is refused before any test, nothing saved', async () => {
    const { ws, ownerApi } = await setup();
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const adminApi = h.caller(admin.principal);
    const saved = await ownerApi.environments.create({
      workspaceId: ws.id,
      name: 'Production',
      saveUntested: true,
      connection: { host: home.host, port: home.port, database: 'appdb', user: 'app', password: STORED },
    });
    const connectionsBefore = attacker.connections;
    for (const [api, saveUntested] of [
      [adminApi, false],
      [ownerApi, true],
    ] as const) {
      const problem = await problemOf(api.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, saveUntested, connection: { host: attacker.host, port: attacker.port } }));
      expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'password_required', details: { field: 'connection.password', changed: ['port'] } });
    }
    expect(attacker.connections).toBe(connectionsBefore);
    const after = await adminApi.environments.get({ workspaceId: ws.id, environmentId: saved.environment.id });
    expect(after.connection).toMatchObject({ host: home.host, port: home.port, hasPassword: true });

    // The same values as stored (a form that sends every field) need no password.
    const same = await ownerApi.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, saveUntested: true, name: 'Prod', connection: { host: home.host, port: home.port, database: 'appdb', user: 'app' } });
    expect(same.environment).toMatchObject({ name: 'Prod', connection: { port: home.port, hasPassword: true } });
    const moved = await ownerApi.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, saveUntested: true, connection: { port: attacker.port, password: FRESH } });
    expect(moved.environment.connection).toMatchObject({ port: attacker.port, hasPassword: true });
  });
});

describe.each(testTargets)('REST: a changed connection target needs the password again on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('PATCH without the password is 400 password_required naming `password`; the test still goes home', async () => {
    const token = await test.token('Admin');
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/connections${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const created = await call('POST', '', { name: 'rest-target', type: 'postgres', host: home.host, port: home.port, database: 'sales', user: 'reporter', password: STORED });
    expect(created.status).toBe(200);
    const id = created.body.id as string;

    const refused = await call('PATCH', `/${id}`, { port: attacker.port });
    expect(refused).toMatchObject({ status: 400, body: { error: 'password_required', details: { field: 'password', changed: ['port'] } } });
    expect(JSON.stringify(refused.body)).not.toContain(STORED);

    const tested = await call('POST', `/${id}/test`, {});
    expect(tested.status).toBe(200);
    expect(passwordsAt(home)).toEqual([STORED]);
    expect(attacker.logins).toEqual([]);
  });
});
