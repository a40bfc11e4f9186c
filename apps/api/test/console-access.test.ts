// Who may use the console and how: the permissions matrix (roles, grants, tokens), console access
// per connection (off / read-only / read-write), the caller's own history (search, 90-day prune)
// and saved queries shared in the workspace. On the emulator, always available.
import { consoleHistory } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { consoleWorkspace, useConsoleBackends } from './support/console';

const { backends } = useConsoleBackends();
const emulator = backends.find((b) => b.name === 'mssql')!;

describe('console access', () => {
  const h = useHarness(testTargets.at(-1)!);

  it('runs for Owners, Admins and Members with use; refuses Viewers and Members without a grant (audited)', { timeout: 60_000 }, async () => {
    const setup = await consoleWorkspace(h, emulator, { access: 'read-only' });
    const ref = { workspaceId: setup.ws.id, connectionId: setup.connectionId, sql: 'SELECT 1 AS one' };
    const admin = await setup.member('Admin');
    const member = await setup.member('Member');
    const viewer = await setup.member('Viewer');
    expect((await h.caller(setup.owner.principal).console.run(ref)).status).toBe('completed');
    expect((await admin.caller.console.run(ref)).status).toBe('completed');
    expect(await problemOf(member.caller.console.run(ref))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'no_connection_access' } });
    expect(await problemOf(viewer.caller.console.run(ref))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'insufficient_role' } });
    await h.caller(setup.owner.principal).access.grant({ workspaceId: setup.ws.id, connectionId: setup.connectionId, userId: member.user.id, level: 'use' });
    expect((await member.caller.console.run(ref)).resultSets[0]!.rows).toEqual([[1]]);
    // Read-write only where the connection allows it.
    expect(await problemOf(member.caller.console.run({ ...ref, mode: 'read-write' }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'read_only_connection', field: 'mode' } });
    const token = await h.token(setup.ws.id, 'Admin');
    expect((await h.caller(token.principal).console.run(ref)).status).toBe('completed');
    const viewerToken = await h.token(setup.ws.id, 'Viewer');
    expect(await problemOf(h.caller(viewerToken.principal).console.run(ref))).toMatchObject({ code: 'FORBIDDEN' });
    const denied = (await h.auditRows(setup.ws.id)).filter((row) => row.action === 'console.run' && row.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(3);
  });

  it('console access: only Owners/Admins set it; off refuses everyone; read-write allows writes', { timeout: 60_000 }, async () => {
    const setup = await consoleWorkspace(h, emulator, { access: 'read-only' });
    const owner = h.caller(setup.owner.principal);
    const member = await setup.member('Member');
    const ref = { workspaceId: setup.ws.id, connectionId: setup.connectionId };
    expect(await problemOf(member.caller.console.setAccess({ ...ref, access: 'read-write' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await owner.console.setAccess({ ...ref, access: 'off' })).toEqual({ connectionId: setup.connectionId, access: 'off', previous: 'read-only' });
    expect(await problemOf(owner.console.run({ ...ref, sql: 'SELECT 1' }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'console_off' } });
    await owner.console.setAccess({ ...ref, access: 'read-write' });
    const table = emulator.uniqueTable();
    await owner.console.run({ ...ref, mode: 'read-write', sql: `CREATE TABLE dbo.${table} (id INT); INSERT INTO dbo.${table} VALUES (7)` });
    expect((await owner.console.run({ ...ref, sql: `SELECT id FROM dbo.${table}` })).resultSets[0]!.rows).toEqual([[7]]);
    // Read-only is still the default mode of a run: the SQL Server batch is rolled back.
    const readOnly = await owner.console.run({ ...ref, sql: `DELETE FROM dbo.${table}` });
    expect(readOnly).toMatchObject({ mode: 'read-only', rolledBack: true });
    expect((await owner.console.run({ ...ref, sql: `SELECT COUNT(*) FROM dbo.${table}` })).resultSets[0]!.rows).toEqual([[1]]);
    expect(await problemOf(owner.console.run({ ...ref, sql: 'EXEC sp_who' }))).toMatchObject({ error: 'invalid_input', details: { field: 'sql', statement: 'EXEC' } });
    const audit = (await h.auditRows(setup.ws.id)).filter((row) => row.action === 'console.setAccess');
    expect(audit.map((row) => row.details)).toContainEqual({ from: 'read-only', to: 'off' });
  });

  it('keeps each person’s own history per connection: newest first, searchable, pruned after 90 days', { timeout: 60_000 }, async () => {
    const setup = await consoleWorkspace(h, emulator, { access: 'read-only' });
    const owner = h.caller(setup.owner.principal);
    const admin = await setup.member('Admin');
    const ref = { workspaceId: setup.ws.id, connectionId: setup.connectionId };
    await owner.console.run({ ...ref, sql: "SELECT 'first' AS x" });
    await problemOf(owner.console.run({ ...ref, sql: 'SELECT * FROM no_such_table_here' }));
    await owner.console.run({ ...ref, sql: "SELECT 'third' AS x" });
    await admin.caller.console.run({ ...ref, sql: "SELECT 'admins own' AS x" });
    const mine = await owner.console.history(ref);
    expect(mine.items.map((i) => [i.sql, i.outcome])).toEqual([
      ["SELECT 'third' AS x", 'success'],
      ['SELECT * FROM no_such_table_here', 'error'],
      ["SELECT 'first' AS x", 'success'],
    ]);
    expect(mine.items[1]!.errorCode).toBe('208');
    expect((await owner.console.history({ ...ref, search: 'FIRST' })).items.map((i) => i.sql)).toEqual(["SELECT 'first' AS x"]);
    expect((await admin.caller.console.history(ref)).items.map((i) => i.sql)).toEqual(["SELECT 'admins own' AS x"]);
    // Someone else's entry cannot be opened.
    expect(await problemOf(admin.caller.console.historyEntry({ workspaceId: setup.ws.id, historyId: mine.items[0]!.id }))).toMatchObject({ code: 'NOT_FOUND' });
    const db = h.testDb.database.db;
    await db.update(consoleHistory).set({ ranAt: new Date(Date.now() - 91 * 24 * 3600 * 1000) }).where(eq(consoleHistory.id, mine.items[2]!.id));
    expect(await h.services.console.pruneHistory()).toBeGreaterThanOrEqual(1);
    expect((await owner.console.history(ref)).items).toHaveLength(2);
  });

  it('shares saved queries in the workspace; only the author or an Owner/Admin changes them', { timeout: 60_000 }, async () => {
    const setup = await consoleWorkspace(h, emulator, { access: 'read-only' });
    const owner = h.caller(setup.owner.principal);
    const alice = await setup.member('Member');
    const bob = await setup.member('Member');
    const viewer = await setup.member('Viewer');
    const ws = { workspaceId: setup.ws.id };
    const saved = await alice.caller.console.saveQuery({ ...ws, name: 'Big orders', sql: 'SELECT * FROM orders WHERE total > 100', connectionId: setup.connectionId });
    expect(await problemOf(alice.caller.console.saveQuery({ ...ws, name: 'Big orders', sql: 'SELECT 1' }))).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
    expect((await bob.caller.console.savedQueries({ ...ws, connectionId: setup.connectionId })).items.map((s) => s.name)).toEqual(['Big orders']);
    expect((await viewer.caller.console.savedQueries(ws)).items).toHaveLength(1);
    expect(await problemOf(viewer.caller.console.saveQuery({ ...ws, name: 'x', sql: 'SELECT 1' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await problemOf(bob.caller.console.deleteQuery({ ...ws, savedQueryId: saved.id }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_query_owner' } });
    expect((await alice.caller.console.updateQuery({ ...ws, savedQueryId: saved.id, sql: 'SELECT * FROM orders WHERE total > 200' })).sql).toContain('200');
    expect(await owner.console.deleteQuery({ ...ws, savedQueryId: saved.id })).toEqual({ id: saved.id, deleted: true });
    expect((await owner.console.savedQueries(ws)).items).toEqual([]);
  });
});
