// F8 × F7: who created, published (both outcomes), ran, cancelled and deleted which procedure is in
// the audit log; the connection's password, parameter values and SQL text are not.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, SQL_PASSWORD, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_audit']);

describe.each(testTargets)('sqlEditor audit on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  it('records each operation with actor, target and outcome, and no secrets', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_audit');
    const caller = h.caller(owner.principal, { ip: '198.51.100.23', userAgent: 'editor-test' });
    const secretValue = 'Card-4111-1111-1111-1111';
    const secretComment = 'internal-only-comment-7f3a';
    const created = await caller.sqlEditor.create({
      workspaceId: ws.id,
      name: `Audited_${suffix}`,
      sqlDraft: `-- ${secretComment}\nCREATE PROCEDURE dbo.Audited_${suffix} @card NVARCHAR(40) AS SELECT LEN(@card) AS length`,
    });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    const result = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { card: secretValue } });
    expect(result.resultSets[0]?.rows).toEqual([[secretValue.length]]);
    const broken = await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: `CREATE PROCEDURE dbo.Audited_${suffix} AS SELEC 1`, expectedUpdatedAt: created.updatedAt });
    expect(await problemOf(caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, expectedUpdatedAt: broken.updatedAt }))).toMatchObject({ error: 'sql_error' });
    await caller.sqlEditor.delete({ workspaceId: ws.id, procedureId: created.id, dropFromServer: true });

    const rows = (await h.auditRows(ws.id)).filter((row) => row.action.startsWith('procedure.')).sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(rows.map((row) => [row.action, row.outcome])).toEqual([
      ['procedure.create', 'success'],
      ['procedure.publish', 'success'],
      ['procedure.execute', 'success'],
      ['procedure.publish', 'failure'],
      ['procedure.delete', 'success'],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ actorUserId: owner.id, actorUsername: owner.username, targetType: 'procedure', targetId: created.id, ip: '198.51.100.23', userAgent: 'editor-test' });
    }
    expect(rows[2]?.details).toMatchObject({ parameterNames: ['card'], status: 'completed' });
    expect(rows[3]?.details).toMatchObject({ errorNumber: 102 });
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain(secretComment);
    expect(text).not.toContain(SQL_PASSWORD);
  });
});
