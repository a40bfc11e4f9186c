// F7 drafts: a save carries the version the editor last saw; a stale save is refused with CONFLICT
// and never overwrites. Names are SQL Server identifiers, unique per workspace (case-insensitive,
// as SQL Server compares them).
import { storedProcedures } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_drafts']);

describe.each(testTargets)('sqlEditor drafts on $name', (target) => {
  const h = useHarness(target);

  it('refuses a stale draft save with CONFLICT and keeps the newer text', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_drafts');
    const tabA = h.caller(owner.principal);
    const tabB = h.caller(owner.principal);
    const created = await tabA.sqlEditor.create({ workspaceId: ws.id, name: 'Shared' });

    // Two editors loaded the same version; A saves first.
    const savedA = await tabA.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- from A', expectedUpdatedAt: created.updatedAt });
    const stale = await problemOf(tabB.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- from B', expectedUpdatedAt: created.updatedAt }));
    expect(stale).toMatchObject({ code: 'CONFLICT', error: 'conflict', details: { field: 'expectedUpdatedAt', reason: 'stale_version' } });
    expect(new Date(stale.details.currentUpdatedAt as string | Date).getTime()).toBe(savedA.updatedAt.getTime());
    const [row] = await h.testDb.database.db.select().from(storedProcedures).where(eq(storedProcedures.id, created.id));
    expect(row?.sqlDraft).toBe('-- from A');

    // B reloads and saves on top of A's version; saves in quick succession each get a new version.
    const reloaded = await tabB.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id });
    let version = reloaded.updatedAt;
    for (let i = 0; i < 5; i++) {
      const next = await tabB.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: `-- from B ${i}`, expectedUpdatedAt: version });
      expect(next.updatedAt.getTime()).toBeGreaterThan(version.getTime());
      version = next.updatedAt;
    }
    expect(await problemOf(tabA.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- A again', expectedUpdatedAt: savedA.updatedAt }))).toMatchObject({ code: 'CONFLICT' });
    expect((await tabA.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id })).sqlDraft).toBe('-- from B 4');

    // A publish of a version the client no longer holds is refused the same way.
    expect(await problemOf(tabA.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, expectedUpdatedAt: savedA.updatedAt }))).toMatchObject({ code: 'CONFLICT' });
    // An unknown procedure is NOT_FOUND, not a conflict.
    expect(await problemOf(tabA.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: crypto.randomUUID(), sqlDraft: 'x', expectedUpdatedAt: version }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('overwrites a newer draft only when asked, against the version the person saw, and audits it', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_drafts');
    const tabA = h.caller(owner.principal);
    const tabB = h.caller(owner.principal);
    const created = await tabA.sqlEditor.create({ workspaceId: ws.id, name: 'Contested' });
    const theirs = await tabA.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- theirs', expectedUpdatedAt: created.updatedAt });
    expect(await problemOf(tabB.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- mine', expectedUpdatedAt: created.updatedAt }))).toMatchObject({ code: 'CONFLICT' });

    // "Keep mine" names the version it replaces; had a third save landed since, it would conflict again.
    expect(await problemOf(tabB.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- mine', expectedUpdatedAt: created.updatedAt, overwrite: true }))).toMatchObject({ code: 'CONFLICT' });
    const kept = await tabB.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: '-- mine', expectedUpdatedAt: theirs.updatedAt, overwrite: true });
    expect(kept.sqlDraft).toBe('-- mine');

    const audited = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.overwrite');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ outcome: 'success', targetId: created.id, details: { name: 'dbo.Contested', replacedVersion: theirs.updatedAt.toISOString() } });
    expect(JSON.stringify(audited[0])).not.toContain('-- mine');
  });

  it('validates names as identifiers, unique per workspace regardless of case, with a schema (default dbo)', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_drafts');
    const caller = h.caller(owner.principal);
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'GetOrders' });
    expect(created).toMatchObject({ name: 'dbo.GetOrders', schema: 'dbo', procedureName: 'GetOrders', status: 'draft' });
    expect(created.sqlDraft).toContain('CREATE OR ALTER PROCEDURE [dbo].[GetOrders]');
    expect(await problemOf(caller.sqlEditor.create({ workspaceId: ws.id, name: 'getorders' }))).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
    expect(await problemOf(caller.sqlEditor.create({ workspaceId: ws.id, name: 'GetOrders', schema: 'DBO' }))).toMatchObject({ code: 'CONFLICT' });
    expect(await caller.sqlEditor.create({ workspaceId: ws.id, name: 'GetOrders', schema: 'reporting' })).toMatchObject({ name: 'reporting.GetOrders', schema: 'reporting' });
    expect(await problemOf(caller.sqlEditor.create({ workspaceId: ws.id, name: 'x'.repeat(129) }))).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    expect(await problemOf(caller.sqlEditor.create({ workspaceId: ws.id, name: 'a.b' }))).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'name' } });
    expect(await problemOf(caller.sqlEditor.create({ workspaceId: ws.id, name: 'ok', schema: '#tmp' }))).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'schema' } });
    expect(await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Orders by day]' })).toMatchObject({ procedureName: 'Orders by day]' });

    // Rename moves the name in the draft header too; names stay unique.
    const renamed = await caller.sqlEditor.rename({ workspaceId: ws.id, procedureId: created.id, name: 'ListOrders', expectedUpdatedAt: created.updatedAt });
    expect(renamed).toMatchObject({ name: 'dbo.ListOrders' });
    expect(renamed.sqlDraft).toContain('CREATE OR ALTER PROCEDURE [dbo].[ListOrders]');
    expect(await problemOf(caller.sqlEditor.rename({ workspaceId: ws.id, procedureId: created.id, name: 'GetOrders', schema: 'reporting', expectedUpdatedAt: renamed.updatedAt }))).toMatchObject({ code: 'CONFLICT' });
  });

  it('deletes a published procedure, dropping it from the server only when asked', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_drafts');
    const caller = h.caller(owner.principal);
    const suffix = target.name.replace(/\W/g, '');
    const kept = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Kept_${suffix}` });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: kept.id });
    expect(await caller.sqlEditor.delete({ workspaceId: ws.id, procedureId: kept.id })).toEqual({ id: kept.id, deleted: true, droppedFromServer: false });

    const dropped = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Dropped_${suffix}` });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: dropped.id });
    // A published procedure cannot be renamed (its server copy would be orphaned).
    expect(await problemOf(caller.sqlEditor.rename({ workspaceId: ws.id, procedureId: dropped.id, name: 'Other', expectedUpdatedAt: dropped.updatedAt }))).toMatchObject({
      code: 'PRECONDITION_FAILED',
      details: { reason: 'published' },
    });
    expect(await caller.sqlEditor.delete({ workspaceId: ws.id, procedureId: dropped.id, dropFromServer: true })).toEqual({ id: dropped.id, deleted: true, droppedFromServer: true });

    // The kept one still exists on the server: recreate its record and run it; the dropped one is gone.
    const again = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Dropped_${suffix}` });
    const orphan = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Kept_${suffix}`, sqlDraft: `CREATE PROCEDURE dbo.Kept_${suffix} AS SELECT 1 AS one` });
    await h.testDb.database.db.update(storedProcedures).set({ status: 'published', sqlPublished: orphan.sqlDraft, publishedAt: new Date() }).where(eq(storedProcedures.id, orphan.id));
    await h.testDb.database.db.update(storedProcedures).set({ status: 'published', sqlPublished: again.sqlDraft, publishedAt: new Date() }).where(eq(storedProcedures.id, again.id));
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: orphan.id })).resultSets[0]?.rows).toEqual([[1]]);
    expect(await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: again.id }))).toMatchObject({ code: 'BAD_REQUEST', error: 'sql_error', details: { number: 2812 } });
    const audit = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.delete');
    expect(audit.map((row) => row.details)).toEqual(expect.arrayContaining([expect.objectContaining({ droppedFromServer: true }), expect.objectContaining({ droppedFromServer: false })]));
  });
});
