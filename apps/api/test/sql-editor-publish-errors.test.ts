// F7: a draft SQL Server refuses is not published. The error comes back with SQL Server's number,
// message and the line as the editor shows it; sql_published keeps the last good text; both
// outcomes are audited. Drafts that do not define exactly this procedure never reach the server.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_errors']);

describe.each(testTargets)('sqlEditor publish errors on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  it('returns 102 at the editor line (after a GO-separated header) and leaves sql_published unchanged', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_errors');
    const caller = h.caller(owner.principal);
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Totals_${suffix}` });
    const good = `CREATE PROCEDURE dbo.Totals_${suffix}\nAS\nBEGIN\n  SELECT 1 AS one;\nEND\n`;
    let version = (await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: good, expectedUpdatedAt: created.updatedAt })).updatedAt;
    const first = await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect(first.procedure.sqlPublished).toBe(good);

    // Lines 1-3 are a comment batch ended by GO; the procedure batch starts at editor line 4,
    // and the typo sits on editor line 10 (line 7 of its batch, which is what SQL Server reports).
    const broken = [
      '/* Totals: one row per call',
      "   GO inside a comment is not a separator */",
      'GO',
      `CREATE OR ALTER PROCEDURE [dbo].[Totals_${suffix}]`,
      '  @a INT = 1',
      'AS',
      'BEGIN',
      "  PRINT 'GO';",
      '  SELECT @a AS a',
      '  SELEC 2',
      'END',
    ].join('\n');
    version = (await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: broken, expectedUpdatedAt: version })).updatedAt;
    const problem = await problemOf(caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }));
    expect(problem).toMatchObject({
      code: 'BAD_REQUEST',
      error: 'sql_error',
      message: "Incorrect syntax near 'SELEC'.",
      details: { number: 102, line: 10, serverLine: 7, severity: 15 },
    });
    const after = await caller.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id });
    expect(after).toMatchObject({ status: 'published', sqlPublished: good, sqlDraft: broken, hasUnpublishedChanges: true });
    expect(after.publishedAt).toEqual(first.procedure.publishedAt);
    // The server still runs the last good version.
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id })).resultSets[0]?.rows).toEqual([[1]]);

    const audit = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.publish');
    expect(audit.map((row) => row.outcome).sort()).toEqual(['failure', 'success']);
    expect(audit.find((row) => row.outcome === 'failure')?.details).toMatchObject({ errorNumber: 102, line: 10 });

    // Fixed, it publishes; the version the client holds is still good for its next save.
    const fixed = broken.replace('SELEC 2', 'SELECT 2 AS two');
    version = (await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: fixed, expectedUpdatedAt: version })).updatedAt;
    const second = await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, expectedUpdatedAt: version });
    expect(second.procedure).toMatchObject({ sqlPublished: fixed, hasUnpublishedChanges: false });
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { a: 5 } })).resultSets.map((s) => s.rows)).toEqual([[[5]], [[2]]]);
  });

  it('refuses drafts that do not define exactly this procedure, naming sql_draft, without touching the server', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_errors');
    const caller = h.caller(owner.principal);
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name: `Checked_${suffix}` });
    let version = created.updatedAt;
    const publishWith = async (sqlDraft: string) => {
      version = (await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft, expectedUpdatedAt: version })).updatedAt;
      return problemOf(caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }));
    };
    expect(await publishWith(`CREATE PROCEDURE dbo.SomethingElse AS SELECT 1`)).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'sql_draft', line: 1 } });
    expect(await publishWith(`SELECT 1\nGO\nCREATE PROCEDURE dbo.Checked_${suffix} AS SELECT 1`)).toMatchObject({ details: { field: 'sql_draft', line: 1 } });
    expect(await publishWith(`CREATE PROCEDURE dbo.Checked_${suffix} AS SELECT 1\nGO\nCREATE PROCEDURE dbo.Checked_${suffix} AS SELECT 2`)).toMatchObject({ details: { field: 'sql_draft', line: 3 } });
    expect(await publishWith(`CREATE PROCEDURE dbo.Checked_${suffix} AS SELECT 'unterminated`)).toMatchObject({ details: { field: 'sql_draft', line: 1 } });
    expect(await publishWith('')).toMatchObject({ details: { field: 'sql_draft' } });
    const record = await caller.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id });
    expect(record).toMatchObject({ status: 'draft', sqlPublished: null });
    const failures = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.publish' && row.outcome === 'failure');
    expect(failures).toHaveLength(5);
  });

  it('quotes the name from the record, so a name holding ] and spaces deploys as written', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_errors');
    const caller = h.caller(owner.principal);
    const name = `Odd ]name; DROP_${suffix}`;
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name });
    expect(created.sqlDraft).toContain(`[dbo].[Odd ]]name; DROP_${suffix}]`);
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id })).resultSets[0]?.rows).toEqual([[1]]);
  });
});
