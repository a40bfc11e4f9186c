// A change and its audit row commit together: when the audit row cannot be written the change is
// rolled back and the call fails, so nothing is acknowledged without its row. A denial (nothing
// changed) is written after the fact; a failure to write it does not change the answer and is
// counted for /metrics. The audit write is made to fail by a trigger, on the real database.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { accountTokens, backupRuns, connections, roles, sessions, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { sql, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { problemOf, TEST_PASSWORD, useHarness, type UserFixture } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';
import { publicSessionId } from '../src/services/sessions';

const NEW_PASSWORD = 'a brand new passphrase';
const server = useEditorSqlServer(['audit_atomic']);

describe.each(testTargets)('audit atomic with the change on $name', (target) => {
  const h = useHarness(target);
  const db = () => h.testDb.database.db;

  async function ensureAdminRole(): Promise<void> {
    await db().insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
  }

  async function admin(name = 'root'): Promise<UserFixture> {
    const [role] = await db().select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    const user = await h.user(name);
    await db().update(users).set({ roleId: role!.id }).where(eq(users.id, user.id));
    return user;
  }

  /** Signs in with a password; answers the session cookie issued, or the problem. */
  async function signIn(username: string, password: string) {
    const { caller, ctx } = h.callerWithContext(null);
    await caller.auth.signIn({ username, password });
    return ctx.sessionCookies.issued as string;
  }

  const sessionRows = (userId: string) => db().select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));

  beforeAll(async () => {
    // Refuses the audit rows of anything whose name holds 'doomed', denials of 'connection.delete',
    // password changes and link acceptances by people named doomed_…, sign-ins of people named
    // nosession_…, successful publications of procedures named Unpublishable…, and backups, console
    // runs, sign-outs and session revocations by people named doomed_….
    await ensureAdminRole();
    await h.testDb.database.db.execute(sql.raw(`
      CREATE FUNCTION refuse_doomed_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.details->>'name' LIKE '%doomed%' OR NEW.details->>'to' LIKE '%doomed%' OR (NEW.outcome = 'denied' AND NEW.action = 'connection.delete')
          OR (NEW.outcome = 'success' AND NEW.actor_username LIKE 'doomed%' AND NEW.action IN ('account.changePassword', 'user.acceptInvite', 'user.acceptReset'))
          OR (NEW.outcome = 'success' AND NEW.actor_username LIKE 'nosession%' AND NEW.action = 'auth.signIn')
          OR (NEW.outcome = 'success' AND NEW.action = 'procedure.publish' AND NEW.details->>'name' ILIKE '%unpublishable%')
          OR (NEW.outcome = 'success' AND NEW.action = 'backup.create' AND NEW.actor_username LIKE 'doomed%')
          OR (NEW.action = 'console.run' AND NEW.actor_username LIKE 'doomed%')
          OR (NEW.action IN ('auth.signOut', 'auth.revokeSession', 'auth.revokeOtherSessions') AND NEW.actor_username LIKE 'doomed%') THEN
          RAISE EXCEPTION 'audit refused by test trigger';
        END IF;
        RETURN NEW;
      END $$`));
    await h.testDb.database.db.execute(sql.raw('CREATE TRIGGER refuse_doomed_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_doomed_audit()'));
  });

  it('rolls the change back when its audit row cannot be written', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const input = { workspaceId: ws.id, type: 'postgres' as const, host: '10.0.0.5', port: 5432, database: 'dw', user: 'reader', password: 'pw-not-logged' };

    const problem = await problemOf(api.connections.create({ ...input, name: 'doomed' }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    const rows = await h.testDb.database.db.select({ id: connections.id }).from(connections).where(eq(connections.workspaceId, ws.id));
    expect(rows).toEqual([]);

    // The same call with an auditable name commits both.
    const created = await api.connections.create({ ...input, name: 'kept' });
    const audit = await h.auditRows(ws.id);
    expect(audit.filter((row) => row.action === 'connection.create').map((row) => row.targetId)).toEqual([created.id]);
  });

  it('answers a denial whose audit row fails as a denial, and counts the failed write', async () => {
    const owner = await h.user();
    const viewer = await h.user();
    const ws = await h.workspace(owner);
    await h.member(ws.id, viewer, 'Viewer');
    const created = await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'c', type: 'postgres', host: '10.0.0.5', port: 5432, database: 'dw', user: 'u' });
    const before = h.services.audit.writeFailures;
    const problem = await problemOf(h.caller(viewer.principal).connections.delete({ workspaceId: ws.id, connectionId: created.id }));
    expect(problem).toMatchObject({ code: 'FORBIDDEN' });
    expect(h.services.audit.writeFailures).toBe(before + 1);
  });

  // The class, not one handler: every change that writes an audit row commits with it.
  it('rolls back console saved queries and SQL editor drafts whose audit row cannot be written', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const scope = { workspaceId: ws.id };

    expect((await problemOf(api.console.saveQuery({ ...scope, name: 'doomed query', sql: 'SELECT 1' }))).code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.console.savedQueries(scope)).items).toEqual([]);
    const saved = await api.console.saveQuery({ ...scope, name: 'kept query', sql: 'SELECT 1' });
    expect((await problemOf(api.console.updateQuery({ ...scope, savedQueryId: saved.id, name: 'doomed rename' }))).code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.console.savedQueries(scope)).items.map((q) => q.name)).toEqual(['kept query']);

    expect((await problemOf(api.sqlEditor.create({ ...scope, name: 'doomed_proc' }))).code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.sqlEditor.list(scope)).items).toEqual([]);
    const kept = await api.sqlEditor.create({ ...scope, name: 'kept_proc' });
    const problem = await problemOf(api.sqlEditor.rename({ ...scope, procedureId: kept.id, name: 'doomed_proc', expectedUpdatedAt: kept.updatedAt }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.sqlEditor.get({ ...scope, procedureId: kept.id })).qualifiedName).toBe(kept.qualifiedName);

    const audit = await h.auditRows(ws.id);
    expect(audit.map((row) => row.action).sort()).toEqual(['console.saveQuery', 'procedure.create']);
  });

  it('keeps the old password and the other sessions when the audit row of a password change cannot be written', async () => {
    const person = await h.user('doomed');
    await signIn(person.username, TEST_PASSWORD);
    const [before] = await db().select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, person.id));
    expect(await sessionRows(person.id)).toHaveLength(1);

    const problem = await problemOf(h.caller(person.principal).account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    const [after] = await db().select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, person.id));
    expect(after!.passwordHash).toBe(before!.passwordHash);
    expect(await sessionRows(person.id)).toHaveLength(1);
    // The old password still signs in, the new one does not.
    expect(await signIn(person.username, TEST_PASSWORD)).toEqual(expect.any(String));
    expect((await problemOf(signIn(person.username, NEW_PASSWORD))).code).toBe('UNAUTHORIZED');
    const rows = (await h.auditRows()).filter((row) => row.action === 'account.changePassword' && row.actorUserId === person.id);
    expect(rows.map((row) => [row.outcome, row.details])).toEqual([['failure', { reason: 'error' }]]);
  });

  it('leaves an invite link unused when the audit row of its acceptance cannot be written', async () => {
    const root = await admin();
    const created = await h.caller(root.principal).users.create({ username: `doomed_${Date.now()}`, systemRole: 'User' });
    const token = created.link!.token;
    const visitor = h.caller(null, { ip: '198.18.200.1' });

    const problem = await problemOf(visitor.account.acceptLink({ token, password: NEW_PASSWORD }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    const [link] = await db().select({ usedAt: accountTokens.usedAt, revokedAt: accountTokens.revokedAt }).from(accountTokens).where(eq(accountTokens.userId, created.user.id));
    expect(link).toEqual({ usedAt: null, revokedAt: null });
    const [person] = await db().select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, created.user.id));
    expect(person!.passwordHash).toBeNull();
    expect(await visitor.account.describeLink({ token })).toMatchObject({ kind: 'invite', username: created.user.username });
    expect((await problemOf(signIn(created.user.username, NEW_PASSWORD))).code).toBe('UNAUTHORIZED');
    expect((await h.auditRows()).filter((row) => row.targetId === created.user.id).map((row) => row.action)).toEqual(['user.invite']);
  });

  it('opens no session when the audit row of a sign-in cannot be written', async () => {
    const person = await h.user('nosession');
    const { caller, ctx } = h.callerWithContext(null);

    const problem = await problemOf(caller.auth.signIn({ username: person.username, password: TEST_PASSWORD }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    expect(ctx.sessionCookies.issued).toBeUndefined();
    expect(await sessionRows(person.id)).toEqual([]);
    const [row] = await db().select({ lastSignInAt: users.lastSignInAt }).from(users).where(eq(users.id, person.id));
    expect(row!.lastSignInAt).toBeNull();
    expect((await h.auditRows()).filter((r) => r.action === 'auth.signIn' && r.actorUserId === person.id)).toEqual([]);
  });

  it('leaves environments and their connections unchanged when the audit row of a save cannot be written', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = { host: '10.0.0.5', port: 1433, database: 'dw', user: 'reader', password: 'pw-not-logged' };

    const problem = await problemOf(api.environments.create({ workspaceId: ws.id, name: 'doomed env', connection, saveUntested: true }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.environments.list({ workspaceId: ws.id })).items).toEqual([]);
    // The connection the form created is part of the same transaction.
    expect(await db().select({ id: connections.id }).from(connections).where(eq(connections.workspaceId, ws.id))).toEqual([]);

    const kept = await api.environments.create({ workspaceId: ws.id, name: 'kept env', connection, saveUntested: true });
    const renamed = await problemOf(api.environments.update({ workspaceId: ws.id, environmentId: kept.environment.id, name: 'doomed env', description: 'never stored' }));
    expect(renamed.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await api.environments.get({ workspaceId: ws.id, environmentId: kept.environment.id })).toMatchObject({ name: 'kept env', description: null });

    const audit = await h.auditRows(ws.id);
    expect(audit.map((row) => [row.action, row.outcome, row.targetId])).toEqual([['environment.create', 'success', kept.environment.id]]);
  });

  it('keeps the procedure record unpublished when the audit row of a publication cannot be written', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'audit_atomic');
    const api = h.caller(owner.principal);
    const suffix = target.name.replace(/\W/g, '');
    const created = await api.sqlEditor.create({ workspaceId: ws.id, name: `Unpublishable_${suffix}`, sqlDraft: `CREATE PROCEDURE dbo.Unpublishable_${suffix} AS SELECT 1 AS one` });

    const problem = await problemOf(api.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await api.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id })).toMatchObject({ status: created.status, sqlPublished: null, publishedAt: null });
    // Nor is a deployment recorded for the environment: it commits with the audit row or not at all.
    const { environments } = await api.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id });
    expect(environments.map((environment) => environment.deployment)).toEqual([null]);
    // The server ran the CREATE OR ALTER before the record's transaction: the failure row says so.
    const rows = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.publish');
    expect(rows.map((row) => [row.outcome, row.details])).toEqual([['failure', expect.objectContaining({ deployedToServer: true })]]);
  });

  it('records a backup whose success cannot be audited as failed, and prunes nothing for it', async () => {
    const root = await admin('doomed');
    const dir = h.services.backups.config.dir;
    const filesBefore: string[] = await readdir(dir).catch(() => []);

    const run = await h.caller(root.principal).backups.run({});
    expect(run).toMatchObject({ outcome: 'failure', downloadable: false });
    const [stored] = await db().select({ outcome: backupRuns.outcome, fileName: backupRuns.fileName }).from(backupRuns).where(eq(backupRuns.id, run.id));
    expect(stored).toEqual({ outcome: 'failure', fileName: null });
    const rows = (await h.auditRows()).filter((row) => row.targetId === run.id);
    expect(rows.map((row) => [row.action, row.outcome])).toEqual([['backup.create', 'failure']]);
    // Retention did not run: every file there before is still there.
    const filesAfter = await readdir(dir);
    expect(filesAfter).toEqual(expect.arrayContaining(filesBefore));
    for (const file of filesAfter.filter((name) => !filesBefore.includes(name))) await rm(path.join(dir, file), { force: true });
  });

  it('answers no console run as a success when its audit row cannot be written, and keeps no history of it', async () => {
    const { ws, owner, connectionId } = await editorWorkspace(h, server, 'audit_atomic');
    await h.caller(owner.principal).console.setAccess({ workspaceId: ws.id, connectionId, access: 'read-write' });
    const doomed = await h.user('doomed');
    await h.member(ws.id, doomed, 'Admin');
    const api = h.caller(doomed.principal);
    const ref = { workspaceId: ws.id, connectionId };

    const problem = await problemOf(api.console.run({ ...ref, sql: 'SELECT 1 AS one' }));
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await api.console.history(ref)).items).toEqual([]);
    expect((await h.auditRows(ws.id)).filter((row) => row.action === 'console.run')).toEqual([]);
    // The owner's run is recorded both ways.
    expect((await h.caller(owner.principal).console.run({ ...ref, sql: 'SELECT 1 AS one' })).status).toBe('completed');
    expect((await h.caller(owner.principal).console.history(ref)).items).toHaveLength(1);
    expect((await h.auditRows(ws.id)).filter((row) => row.action === 'console.run').map((row) => row.actorUserId)).toEqual([owner.id]);
  });

  it('ends no session when the audit row of a sign-out or a revocation cannot be written', async () => {
    const person = await h.user('doomed');
    const current = await signIn(person.username, TEST_PASSWORD);
    const other = await signIn(person.username, TEST_PASSWORD);
    const principal = { ...person.principal, sessionId: current };
    const { caller, ctx } = h.callerWithContext(principal);

    expect((await problemOf(caller.auth.signOut())).code).toBe('INTERNAL_SERVER_ERROR');
    expect(ctx.sessionCookies.issued).toBeUndefined();
    expect((await problemOf(caller.auth.revokeOtherSessions())).code).toBe('INTERNAL_SERVER_ERROR');
    expect((await problemOf(caller.auth.revokeSession({ id: publicSessionId(other) }))).code).toBe('INTERNAL_SERVER_ERROR');
    expect(await sessionRows(person.id)).toHaveLength(2);
    expect(await h.services.sessions.validate(current)).not.toBeNull();
    expect(await h.services.sessions.validate(other)).not.toBeNull();
  });
});
