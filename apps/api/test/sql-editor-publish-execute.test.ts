// F7: a procedure goes draft → publish (CREATE OR ALTER on the workspace's SQL Server) → execute
// by RPC with typed input and output parameters, the return status and two result sets.
import { testTargets } from '@studio/db/testing';
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, SQL_PASSWORD, SQL_USER, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_flow']);

const ORDERS_PROC = `-- Orders above a minimum, and a summary
CREATE PROCEDURE dbo.OrdersAbove
  @minTotal DECIMAL(10, 2),
  @label NVARCHAR(20) = N'orders',
  @count INT OUTPUT
AS
BEGIN
  SET NOCOUNT ON;
  PRINT 'counting orders';
  SELECT @count = COUNT(*) FROM editor_orders WHERE total >= @minTotal;
  SELECT id, customer, total FROM editor_orders WHERE total >= @minTotal ORDER BY id;
  SELECT @label AS label, @count AS matched;
  RETURN 42;
END
`;

describe.each(testTargets)('sqlEditor draft → publish → execute on $name', (target) => {
  const h = useHarness(target);

  it('publishes the draft to the default environment and runs it with parameters and two result sets', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_flow');
    const caller = h.caller(owner.principal);
    // Table names are unique per run: both targets share the emulator database.
    const table = `editor_orders_${target.name.replace(/\W/g, '')}`;
    const { emulator } = server;
    const pool = await new sql.ConnectionPool(emulator.configFor({ user: SQL_USER, password: SQL_PASSWORD, database: 'editor_flow' })).connect();
    await pool.request().batch(`CREATE TABLE ${table} (id INT PRIMARY KEY, customer NVARCHAR(50), total DECIMAL(10, 2)); INSERT INTO ${table} VALUES (1, N'Ada', 10.50), (2, N'Brian', 99.99), (3, N'Chen', 250.00)`);
    await pool.close();

    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name: `OrdersAbove_${target.name.replace(/\W/g, '')}` });
    expect(created).toMatchObject({ status: 'draft', schema: 'dbo', sqlPublished: null, publishedAt: null, hasUnpublishedChanges: true });
    const draft = ORDERS_PROC.replace('dbo.OrdersAbove', `dbo.${created.procedureName}`).replaceAll('editor_orders', table);
    const saved = await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: draft, expectedUpdatedAt: created.updatedAt });
    expect(saved.sqlDraft).toBe(draft);
    expect(saved.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());

    // Not published yet: running it is refused with the reason.
    const early = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id }));
    expect(early).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'not_published' } });

    const published = await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect(published.procedure).toMatchObject({ status: 'published', sqlPublished: draft, hasUnpublishedChanges: false });
    expect(published.procedure.publishedAt).toBeInstanceOf(Date);
    // Publishing leaves the draft's version alone: the editor's next autosave is not stale.
    expect(published.procedure.updatedAt).toEqual(saved.updatedAt);

    const parameters = await caller.sqlEditor.parameters({ workspaceId: ws.id, procedureId: created.id });
    expect(parameters.parameters).toEqual([
      { name: 'minTotal', type: 'decimal', declaration: 'decimal(10, 2)', kind: 'decimal', direction: 'in', hasDefault: false, maxLength: null, precision: 10, scale: 2 },
      { name: 'label', type: 'nvarchar', declaration: 'nvarchar(20)', kind: 'string', direction: 'in', hasDefault: true, maxLength: 20, precision: null, scale: null },
      { name: 'count', type: 'int', declaration: 'int', kind: 'integer', direction: 'inout', hasDefault: false, maxLength: null, precision: null, scale: null },
    ]);

    const result = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { minTotal: '50.00' } });
    expect(result).toMatchObject({ status: 'completed', returnValue: 42, output: { count: 2 }, truncated: false, rowLimit: 1000 });
    expect(result.resultSets).toHaveLength(2);
    expect(result.resultSets[0]).toMatchObject({
      columns: [
        { name: 'id', type: 'int' },
        { name: 'customer', type: 'nvarchar' },
        { name: 'total', type: 'decimal', scale: 2 },
      ],
      rows: [
        [2, 'Brian', '99.99'],
        [3, 'Chen', '250.00'],
      ],
      rowCount: 2,
      truncated: false,
    });
    expect(result.resultSets[1]).toMatchObject({ columns: [{ name: 'label' }, { name: 'matched' }], rows: [['orders', 2]] });
    expect(result.messages).toEqual([expect.objectContaining({ message: 'counting orders', number: 0 })]);
    expect(result.elapsedMs).toBeGreaterThan(0);

    // A value for the defaulted parameter overrides the default; a wrong type names the field.
    const labelled = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { minTotal: 200, label: 'big' } });
    expect(labelled.resultSets[1]?.rows).toEqual([['big', 1]]);
    const bad = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { minTotal: 'lots' } }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'parameters.minTotal' } });
    const missing = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: {} }));
    expect(missing).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'parameters.minTotal' } });
    const unknown = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { minTotal: 1, nope: 1 } }));
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'parameters.nope' } });

    // Editing the draft shows up in the diff without touching what is deployed.
    const edited = await caller.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: draft.replace('RETURN 42;', 'RETURN 43;'), expectedUpdatedAt: saved.updatedAt });
    expect(edited).toMatchObject({ status: 'published', sqlPublished: draft, hasUnpublishedChanges: true });
    const diff = await caller.sqlEditor.diff({ workspaceId: ws.id, procedureId: created.id });
    expect(diff.identical).toBe(false);
    expect(diff.hunks.flatMap((hunk) => hunk.lines.filter((line) => line.startsWith('+') || line.startsWith('-')))).toEqual(['-  RETURN 42;', '+  RETURN 43;']);
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { minTotal: 0 } })).returnValue).toBe(42);

    // Listed, searchable, most recently edited first.
    const other = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Unrelated' });
    const listed = await caller.sqlEditor.list({ workspaceId: ws.id });
    expect(listed.items.map((p) => p.id)).toEqual([other.id, created.id]);
    expect(listed.items[1]).toMatchObject({ status: 'published', hasUnpublishedChanges: true, qualifiedName: `dbo.${created.procedureName}` });
    expect(listed.items[1]).not.toHaveProperty('sqlDraft');
    const searched = await caller.sqlEditor.list({ workspaceId: ws.id, search: 'ordersabove' });
    expect(searched.items.map((p) => p.id)).toEqual([created.id]);
    const firstPage = await caller.sqlEditor.list({ workspaceId: ws.id, limit: 1 });
    expect(firstPage.nextCursor).not.toBeNull();
    const secondPage = await caller.sqlEditor.list({ workspaceId: ws.id, limit: 1, cursor: firstPage.nextCursor! });
    expect(secondPage).toMatchObject({ items: [{ id: created.id }], nextCursor: null });
  });

  it('notices a procedure altered outside the editor: parameters are read again, not guessed', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_flow');
    const caller = h.caller(owner.principal);
    const name = `Echo_${target.name.replace(/\W/g, '')}`;
    const created = await caller.sqlEditor.create({ workspaceId: ws.id, name, sqlDraft: `CREATE PROCEDURE dbo.${name} @a INT AS SELECT @a AS a` });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { a: 1 } })).resultSets[0]?.rows).toEqual([[1]]);

    const pool = await new sql.ConnectionPool(server.emulator.configFor({ user: SQL_USER, password: SQL_PASSWORD, database: 'editor_flow' })).connect();
    await pool.request().batch(`ALTER PROCEDURE dbo.${name} @a INT, @b INT AS SELECT @a + @b AS a`);
    await pool.close();

    const missing = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { a: 1 } }));
    expect(missing).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'parameters.b' } });
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters: { a: 1, b: 2 } })).resultSets[0]?.rows).toEqual([[3]]);
  });
});
