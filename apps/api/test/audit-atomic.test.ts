// A change and its audit row commit together: when the audit row cannot be written the change is
// rolled back and the call fails, so nothing is acknowledged without its row. A denial (nothing
// changed) is written after the fact; a failure to write it does not change the answer and is
// counted for /metrics. The audit write is made to fail by a trigger, on the real database.
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { sql, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

describe.each(testTargets)('audit atomic with the change on $name', (target) => {
  const h = useHarness(target);

  beforeAll(async () => {
    // Refuses the audit rows of anything whose name holds 'doomed', and denials of 'connection.delete'.
    await h.testDb.database.db.execute(sql.raw(`
      CREATE FUNCTION refuse_doomed_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.details->>'name' LIKE '%doomed%' OR NEW.details->>'to' LIKE '%doomed%' OR (NEW.outcome = 'denied' AND NEW.action = 'connection.delete') THEN
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
});
