// Input that used to reach the database or the driver and come back as a 500: NUL characters and
// lone surrogates in any text, dates PostgreSQL cannot store, list cursors that only look right,
// and SQL editor parameter values outside their SQL Server type. Each is a 400 naming the field.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_hardening']);

const pglite = testTargets.filter((target) => target.name === 'pglite');

function fieldsOf(problem: { details: Record<string, unknown> }): string[] {
  return ((problem.details.fields as { path: string }[] | undefined) ?? []).map((field) => field.path);
}

describe.each(pglite)('refused input on $name', (target) => {
  const h = useHarness(target);

  it('NUL characters and lone surrogates in any text field are a 400 naming the field, nothing saved', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const attempts: [string, () => Promise<unknown>][] = [
      ['name', () => api.workspaces.create({ name: 'bad\u0000name', slug: 'nul-ws' })],
      ['name', () => api.connections.create({ workspaceId: ws.id, name: 'a\u0000b', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'db', user: 'sa', password: 'pw-123456' })],
      ['password', () => api.connections.create({ workspaceId: ws.id, name: 'ok', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'db', user: 'sa', password: 'pw\u0000' })],
      ['sqlDraft', () => api.sqlEditor.create({ workspaceId: ws.id, name: 'Nul', sqlDraft: 'CREATE PROCEDURE dbo.Nul AS SELECT 1\u0000' })],
      ['name', () => api.tokens.create({ workspaceId: ws.id, name: 'tok\u0000en' })],
      ['cursor', () => api.connections.list({ workspaceId: ws.id, cursor: '\u0000' })],
      ['workspaceSlug', () => api.connections.list({ workspaceSlug: 'tw\u0000sbp' })],
      ['name', () => api.workspaces.create({ name: 'lone \ud800 surrogate', slug: 'lone-ws' })],
      ['action', () => api.audit.list({ workspaceId: ws.id, action: 'x\udc00' })],
    ];
    for (const [field, attempt] of attempts) {
      const problem = await problemOf(attempt());
      expect(problem, field).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
      expect(fieldsOf(problem), field).toContain(field);
    }
    expect(await problemOf(h.caller(null).auth.signIn({ username: 'ad\u0000min', password: 'x' }))).toMatchObject({ code: 'BAD_REQUEST', details: { fields: [{ path: 'username' }] } });
    expect((await api.connections.list({ workspaceId: ws.id })).items).toEqual([]);
    expect((await api.tokens.list({ workspaceId: ws.id })).items).toEqual([]);
  });

  it('dates outside what the database stores, and impossible list cursors, are a 400 naming the field', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const attempts: [string, () => Promise<unknown>][] = [
      ['expiresAt', () => api.tokens.create({ workspaceId: ws.id, name: 'far', expiresAt: '99999-01-01' as unknown as Date })],
      ['from', () => api.audit.list({ workspaceId: ws.id, from: '99999-01-01' as unknown as Date })],
      ['to', () => api.audit.list({ workspaceId: ws.id, to: new Date(8.64e15) })],
      ['cursor', () => api.sqlEditor.list({ workspaceId: ws.id, cursor: '2026-13-45T99:99:99.000Z|00000000-0000-4000-8000-000000000000' })],
      ['cursor', () => api.sqlEditor.list({ workspaceId: ws.id, cursor: '2026-01-01T00:00:00.000Z|------------------------------------' })],
      ['cursor', () => api.tokens.list({ workspaceId: ws.id, cursor: 'not-a-uuid' })],
      ['cursor', () => api.audit.list({ workspaceId: ws.id, cursor: '2026-01-01' })],
    ];
    for (const [field, attempt] of attempts) {
      const problem = await problemOf(attempt());
      expect(problem, field).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
      expect([...fieldsOf(problem), problem.details.field], field).toContain(field);
    }
    expect((await api.tokens.list({ workspaceId: ws.id })).items).toEqual([]);
  });

  it('SQL editor parameter values outside their type are a 400 naming the parameter, before the driver sees them', { timeout: 60_000 }, async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_hardening');
    const api = h.caller(owner.principal);
    const created = await api.sqlEditor.create({
      workspaceId: ws.id,
      name: 'Ranges',
      sqlDraft:
        'CREATE PROCEDURE dbo.Ranges @i INT = NULL, @t TINYINT = NULL, @b BIGINT = NULL, @s NVARCHAR(5) = NULL, @v VARCHAR(3) = NULL, @d DECIMAL(5, 2) = NULL, @dt DATETIME = NULL AS SELECT @i AS i, @s AS s',
    });
    await api.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    const run = (parameters: Record<string, unknown>) => api.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, parameters });
    const refused: [string, unknown][] = [
      ['i', 2_147_483_648],
      ['i', '-2147483649'],
      ['t', 256],
      ['t', -1],
      ['b', '9223372036854775808'],
      ['b', 2n ** 70n],
      ['s', 'sixsix'],
      ['v', 'four'],
      ['d', 1234.5],
      ['d', '123456789012345678901234567890'],
      ['dt', '1700-01-01'],
    ];
    for (const [name, value] of refused) {
      const problem = await problemOf(run({ [name]: value }));
      expect(problem, `${name}=${String(value)}`).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: `parameters.${name}` } });
    }
    // The edges themselves are accepted and arrive as sent.
    const edge = await run({ i: 2_147_483_647, t: 255, b: '9223372036854775807', s: 'fiveŝ'.slice(0, 5), v: 'abc', d: '999.99', dt: '9999-12-31' });
    expect(edge.status).toBe('completed');
    expect(edge.resultSets[0]?.rows).toEqual([[2_147_483_647, 'fiveŝ'.slice(0, 5)]]);
  });
});
