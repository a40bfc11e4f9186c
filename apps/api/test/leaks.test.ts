// What lower roles and the log never see: the database login name in a server's refusal (shown
// only to those who manage the connection), and the values of a failed system-database statement
// (credential ciphertext, token hashes) in any log line.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { createHarness, problemOf, useHarness, type Harness } from './support/harness';

const LOGIN = `login_${randomBytes(4).toString('hex')}`;
const PASSWORD = 'Leaks-Good-Passw0rd';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: LOGIN, password: PASSWORD }], databases: ['appdb'], preload: true });
});

afterAll(async () => {
  await emulator.close();
});

describe.each(testTargets)('the login name stays with those who manage the connection on $name', (target) => {
  const h = useHarness(target);

  it("a refused login's message names the user to managers only: get, list, status and test", async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const ownerApi = h.caller(owner.principal);
    const viewer = await h.user('viewer');
    await h.member(ws.id, viewer, 'Viewer');
    const user = await h.user('member');
    await h.member(ws.id, user, 'Member');
    const manager = await h.user('manager');
    await h.member(ws.id, manager, 'Member');
    const connection = await ownerApi.connections.create({ workspaceId: ws.id, name: 'app', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: LOGIN, password: 'not-the-password', options: { tls: false } });
    await ownerApi.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: user.id, level: 'use' });
    await ownerApi.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: manager.id, level: 'manage' });

    const ownerTest = await ownerApi.connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(ownerTest.message).toContain(`Login failed for user '${LOGIN}'`);
    expect((await ownerApi.connections.get({ workspaceId: ws.id, connectionId: connection.id })).lastError).toContain(LOGIN);
    expect((await h.caller(manager.principal).connections.status({ workspaceId: ws.id, connectionId: connection.id })).lastError).toContain(LOGIN);

    const viewerApi = h.caller(viewer.principal);
    const seenByViewer = {
      get: await viewerApi.connections.get({ workspaceId: ws.id, connectionId: connection.id }),
      list: await viewerApi.connections.list({ workspaceId: ws.id }),
      status: await viewerApi.connections.status({ workspaceId: ws.id, connectionId: connection.id }),
    };
    expect(seenByViewer.get.lastError).toContain("Login failed for user '(hidden)'");
    expect(seenByViewer.status.lastError).toContain("Login failed for user '(hidden)'");
    expect(JSON.stringify(seenByViewer)).not.toContain(LOGIN);

    // A Member who may use (not manage) the connection tests it: the answer leaves the login out.
    const userTest = await h.caller(user.principal).connections.test({ workspaceId: ws.id, connectionId: connection.id });
    expect(userTest).toMatchObject({ success: false, details: { reason: 'authentication_failed' } });
    expect(JSON.stringify(userTest)).not.toContain(LOGIN);
    expect(userTest.message).toContain('(hidden)');
  });
});

/** Collects every log line the services write. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe.each(testTargets)('failed system-database statements are logged without their values on $name', (target) => {
  let h: Harness;
  const log = capture();

  beforeAll(async () => {
    h = await createHarness(target, { logger: log.logger });
  });

  afterAll(async () => {
    await h?.dispose();
  });

  /** Makes every INSERT into `table` fail inside the database, like a full disk or a broken trigger would. */
  async function breakInserts(table: string) {
    const name = `${table}_fail_${randomBytes(3).toString('hex')}`;
    await h.testDb.database.db.execute(sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin raise exception 'insert refused by test'; end $$`));
    await h.testDb.database.db.execute(sql.raw(`create trigger ${name} before insert on ${table} for each row execute function ${name}()`));
    return async () => {
      await h.testDb.database.db.execute(sql.raw(`drop trigger ${name} on ${table}`));
      await h.testDb.database.db.execute(sql.raw(`drop function ${name}()`));
    };
  }

  it('a failed INSERT of a connection logs the statement, never the ciphertext or other values', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const marker = `conn-${randomBytes(6).toString('hex')}`;
    const restore = await breakInserts('connections');
    try {
      const problem = await problemOf(h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: marker, type: 'mssql', host: '10.0.0.5', port: 1433, database: 'd', user: 'sa', password: PASSWORD }));
      expect(problem).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', error: 'internal_error' });
    } finally {
      await restore();
    }
    const logged = log.lines.join('');
    expect(logged).toContain('unhandled error in procedure');
    expect(logged).toContain('insert into \\"connections\\"');
    expect(logged).toContain('insert refused by test');
    expect(logged).not.toContain(marker);
    expect(logged).not.toContain('gcm1:');
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toMatch(/params:/);
  });

  it('a failed INSERT of a token and a failed audit write log no token hash and no detail values', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const marker = `token-${randomBytes(6).toString('hex')}`;
    const restoreTokens = await breakInserts('api_tokens');
    const restoreAudit = await breakInserts('audit_log');
    const before = log.lines.length;
    try {
      await problemOf(h.caller(owner.principal).tokens.create({ workspaceId: ws.id, name: marker, role: 'Member' }));
      // The audit row of a refusal cannot be written either: its failure is logged, not its values.
      await problemOf(h.caller(owner.principal).workspaces.addMember({ workspaceId: ws.id, username: marker, role: 'Owner' }));
    } finally {
      await restoreTokens();
      await restoreAudit();
    }
    const logged = log.lines.slice(before).join('');
    expect(logged).toContain('insert into \\"api_tokens\\"');
    expect(logged).not.toContain(marker);
    expect(logged).not.toMatch(/\b[0-9a-f]{64}\b/);
    expect(logged).not.toMatch(/params:/);
  });
});
