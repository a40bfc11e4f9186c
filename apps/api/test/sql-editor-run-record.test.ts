// What an execute needs of a procedure's record is kept per instance, and its audit row is written
// beside other runs' rows: a second instance must still run what was last published and refuse a
// deleted procedure, every run among concurrent ones must have its own row, and a run whose row
// cannot be written must not be answered as a success.
import { testTargets } from '@studio/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context';
import { appRouter } from '../src/routers/_app';
import { closeServices, type AppServices } from '../src/services/index';
import { createCallerFactory } from '../src/trpc';
import { createHarness, problemOf, type Harness, createOtherInstance } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_run_record']);
const createCaller = createCallerFactory(appRouter);

describe.each(testTargets)('sqlEditor run records on $name', (target) => {
  let h: Harness;
  let other: AppServices;

  beforeAll(async () => {
    h = await createHarness(target);
    other = await createOtherInstance(h);
  });

  afterAll(async () => {
    if (other) await closeServices(other, { poolDrainDeadlineMs: 1_000 });
    await h?.dispose();
  });

  const otherCaller = (principal: Parameters<Harness['caller']>[0]) =>
    createCaller(createContextInner({ ...other, principal, requestMeta: { ip: '203.0.113.8', userAgent: 'vitest-b' } }));

  /** Until `check` passes; the other instance hears changes over the channel, not at once. */
  async function eventually(check: () => Promise<void>): Promise<void> {
    const until = Date.now() + 5_000;
    for (;;) {
      try {
        await check();
        return;
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  it('another instance runs what was last published and refuses a deleted procedure', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_run_record');
    const a = h.caller(owner.principal);
    const b = otherCaller(owner.principal);
    const name = `Versioned_${target.name}`;
    const created = await a.sqlEditor.create({ workspaceId: ws.id, name, sqlDraft: `CREATE PROCEDURE dbo.${name} AS SELECT 1 AS version` });
    await a.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect((await b.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id })).resultSets[0]?.rows).toEqual([[1]]);

    const saved = await a.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: `CREATE PROCEDURE dbo.${name} @extra INT = 2 AS SELECT @extra AS version`, expectedUpdatedAt: created.updatedAt });
    await a.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, expectedUpdatedAt: saved.updatedAt });
    await eventually(async () => {
      expect((await b.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { extra: 7 } })).resultSets[0]?.rows).toEqual([[7]]);
    });

    await a.sqlEditor.delete({ workspaceId: ws.id, procedureId: created.id });
    await eventually(async () => {
      expect(await problemOf(b.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id }))).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  it('gives each of concurrent runs its own audit row', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_run_record', { poolSize: 4 });
    const caller = h.caller(owner.principal);
    const name = `Concurrent_${target.name}`;
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name, sqlDraft: `CREATE PROCEDURE dbo.${name} @n INT AS SELECT @n AS n` });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    const runs = await Promise.all(Array.from({ length: 8 }, (_, n) => caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { n } })));
    expect(runs.map((run) => run.resultSets[0]?.rows)).toEqual(Array.from({ length: 8 }, (_, n) => [[n]]));
    const rows = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.execute');
    expect(new Set(rows.map((row) => (row.details as { executionId?: string }).executionId))).toEqual(new Set(runs.map((run) => run.executionId)));
    expect(rows.every((row) => row.outcome === 'success' && row.targetId === created.id)).toBe(true);
  });

  it('does not answer a run as a success when its audit row cannot be written, and keeps its neighbours', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_run_record', { poolSize: 4 });
    const caller = h.caller(owner.principal);
    const kept = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Kept_${target.name}`, sqlDraft: `CREATE PROCEDURE dbo.Kept_${target.name} AS SELECT 1 AS one` });
    const refused = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Unrecorded_${target.name}`, sqlDraft: `CREATE PROCEDURE dbo.Unrecorded_${target.name} AS SELECT 1 AS one` });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: kept.id });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: refused.id });
    await h.testDb.database.db.execute(
      sql.raw(`CREATE FUNCTION refuse_unrecorded_run() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.action = 'procedure.execute' AND NEW.details->>'name' LIKE '%Unrecorded%' THEN RAISE EXCEPTION 'audit refused by test trigger'; END IF;
          RETURN NEW;
        END $$`),
    );
    await h.testDb.database.db.execute(sql.raw('CREATE TRIGGER refuse_unrecorded_run BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_unrecorded_run()'));
    try {
      const outcomes = await Promise.allSettled([
        caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: kept.id }),
        caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: refused.id }),
        caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: kept.id }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: refused.id }))).code).toBe('INTERNAL_SERVER_ERROR');
      const rows = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.execute');
      expect(rows.map((row) => row.targetId)).toEqual([kept.id, kept.id]);
    } finally {
      await h.testDb.database.db.execute(sql.raw('DROP TRIGGER refuse_unrecorded_run ON audit_log'));
      await h.testDb.database.db.execute(sql.raw('DROP FUNCTION refuse_unrecorded_run()'));
    }
  });
});
