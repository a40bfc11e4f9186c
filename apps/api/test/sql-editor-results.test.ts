// F7 results: rows beyond the limit are dropped and the result set is flagged truncated; SQL
// Server types survive the trip to the client through superjson (the tRPC transformer):
// dates as Date, exact decimals as text with their scale, bigint as bigint, binary as bytes, NULL.
import { testTargets } from '@studio/db/testing';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_results']);

describe.each(testTargets)('sqlEditor results on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  async function publish(caller: ReturnType<typeof h.caller>, workspaceId: string, name: string, body: string) {
    const created = await caller.sqlEditor.create({ workspaceId, name, sqlDraft: `CREATE PROCEDURE dbo.${name}\n${body}` });
    await caller.sqlEditor.publish({ workspaceId, procedureId: created.id });
    return created.id;
  }

  it('keeps rowLimit rows per result set and flags the truncation, with the server row count', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_results');
    const caller = h.caller(owner.principal);
    const id = await publish(
      caller,
      ws.id,
      `Numbers_${suffix}`,
      `@n INT AS\nBEGIN\n  DECLARE @i INT = 0;\n  CREATE TABLE #n (v INT);\n  WHILE @i < @n BEGIN INSERT INTO #n VALUES (@i); SET @i += 1; END;\n  SELECT v FROM #n ORDER BY v;\n  SELECT COUNT(*) AS total FROM #n;\nEND`,
    );
    const limited = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: id, parameters: { n: 25 }, rowLimit: 10 });
    expect(limited).toMatchObject({ status: 'completed', truncated: true, rowLimit: 10 });
    expect(limited.resultSets[0]).toMatchObject({ rowCount: 25, truncated: true });
    expect(limited.resultSets[0]?.rows).toEqual(Array.from({ length: 10 }, (_, i) => [i]));
    expect(limited.resultSets[1]).toMatchObject({ rows: [[25]], rowCount: 1, truncated: false });

    const whole = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: id, parameters: { n: 25 } });
    expect(whole).toMatchObject({ truncated: false, rowLimit: 1000 });
    expect(whole.resultSets[0]?.rows).toHaveLength(25);
  });

  it('round-trips date, datetime2, decimal, bigint, binary, bit, uniqueidentifier, time and NULL through superjson', async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_results');
    const caller = h.caller(owner.principal);
    const id = await publish(
      caller,
      ws.id,
      `Types_${suffix}`,
      `@day DATE, @at DATETIME2(3), @amount DECIMAL(18, 4), @big BIGINT, @bytes VARBINARY(16), @flag BIT, @guid UNIQUEIDENTIFIER, @nothing NVARCHAR(10) = NULL,
  @doubled BIGINT OUTPUT, @echo VARBINARY(16) OUTPUT
AS
BEGIN
  SET @doubled = @big * 2;
  SET @echo = @bytes;
  SELECT @day AS day, @at AS at, @amount AS amount, @big AS big, @bytes AS bytes, @flag AS flag, @guid AS guid, CAST('13:45:10' AS TIME(0)) AS clock, @nothing AS nothing;
END`,
    );
    const guid = '6f1c2a9e-3b7d-4c55-9a10-0e2b8d4f7c31';
    const input = {
      day: new Date('2024-02-29T00:00:00Z'),
      at: new Date('2024-03-01T12:34:56.789Z'),
      amount: '12345.6789',
      big: 4_611_686_018_427_387_903n,
      bytes: new Uint8Array([0, 1, 254, 255]),
      flag: true,
      guid,
      doubled: null,
      echo: null,
    };
    const raw = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: id, parameters: input });
    // What a client receives: the tRPC transformer's encoding and decoding.
    const result = superjson.parse<typeof raw>(superjson.stringify(raw));
    const set = result.resultSets[0]!;
    expect(set.columns.map((c) => [c.name, c.type])).toEqual([
      ['day', 'date'],
      ['at', 'datetime2'],
      ['amount', 'decimal'],
      ['big', 'bigint'],
      ['bytes', 'varbinary'],
      ['flag', 'bit'],
      ['guid', 'uniqueidentifier'],
      ['clock', 'time'],
      ['nothing', 'nvarchar'],
    ]);
    expect(set.columns.find((c) => c.name === 'amount')).toMatchObject({ scale: 4 });
    const row = set.rows[0]!;
    expect(row[0]).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(row[1]).toEqual(new Date('2024-03-01T12:34:56.789Z'));
    expect(row[2]).toBe('12345.6789');
    expect(row[3]).toBe(4_611_686_018_427_387_903n);
    expect(row[4]).toBeInstanceOf(Uint8Array);
    expect(Array.from(row[4] as Uint8Array)).toEqual([0, 1, 254, 255]);
    expect(row[5]).toBe(true);
    expect(String(row[6]).toLowerCase()).toBe(guid);
    // TIME(0) on SQL Server; the emulator sends TIME(7): the fraction follows the column's scale.
    expect(row[7]).toMatch(/^13:45:10(\.0+)?$/);
    expect(row[8]).toBeNull();
    expect(result.output.doubled).toBe(9_223_372_036_854_775_806n);
    expect(Array.from(result.output.echo as Uint8Array)).toEqual([0, 1, 254, 255]);

    // Binary also arrives as base64 text (REST clients), and NULL binds as NULL.
    const viaText = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: id, parameters: { ...input, bytes: 'AAH+/w==', big: '5', amount: null } });
    expect(Array.from(viaText.resultSets[0]!.rows[0]![4] as Uint8Array)).toEqual([0, 1, 254, 255]);
    expect(viaText.resultSets[0]!.rows[0]![2]).toBeNull();
    expect(viaText.output.doubled).toBe(10n);
  });
});
