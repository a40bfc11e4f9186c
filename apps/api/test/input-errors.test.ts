// MISSION F10: every failure is `{ error, message, details }`; bad input names the field and saves nothing.
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

describe.each(testTargets)('input and constraint errors on $name', (target) => {
  const h = useHarness(target);

  const valid = { name: 'main', type: 'mssql' as const, host: '10.0.0.5', port: 1433, database: 'db', user: 'sa', password: 'pw-123456' };

  it('duplicate connection name → CONFLICT naming `name` and the constraint', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    await api.connections.create({ workspaceId: ws.id, ...valid });
    const problem = await problemOf(api.connections.create({ workspaceId: ws.id, ...valid, host: '10.0.0.6' }));
    expect(problem).toMatchObject({
      code: 'CONFLICT',
      error: 'conflict',
      details: { field: 'name', constraint: 'connections_workspace_name_key' },
    });
    expect(problem.message).toMatch(/name/);

    // Renaming onto an existing name is the same conflict.
    const other = await api.connections.create({ workspaceId: ws.id, ...valid, name: 'other' });
    const rename = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: other.id, name: 'main' }));
    expect(rename).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
  });

  it.each([
    ['port', { port: 70_000 }],
    ['name', { name: '' }],
    ['type', { type: 'oracle' }],
    ['host', { host: 'http://evil/' }],
    ['options.poolSize', { options: { poolSize: 0 } }],
  ])('bad %s → BAD_REQUEST naming the field, nothing saved', async (field, patch) => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const problem = await problemOf(api.connections.create({ workspaceId: ws.id, ...valid, ...patch } as typeof valid & { workspaceId: string }));
    expect(problem.code).toBe('BAD_REQUEST');
    expect(problem.error).toBe('invalid_input');
    expect(problem.message).toContain(field);
    expect(problem.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
    const rows = await h.testDb.database.db.select({ id: connections.id }).from(connections).where(eq(connections.workspaceId, ws.id));
    expect(rows).toHaveLength(0);
  });

  it('unknown option keys are refused, not stored', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const problem = await problemOf(
      h.caller(owner.principal).connections.create({ workspaceId: ws.id, ...valid, options: { password: 'smuggled' } as never }),
    );
    expect(problem.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(problem)).not.toContain('smuggled');
  });

  it('a missing workspace reference names workspaceId', async () => {
    const owner = await h.user();
    const problem = await problemOf(h.caller(owner.principal).connections.list({} as never));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', details: { fields: [expect.objectContaining({ path: 'workspaceId' })] } });
  });

  it('anonymous calls are UNAUTHORIZED with the same shape', async () => {
    const problem = await problemOf(h.caller(null).workspaces.listMine());
    expect(problem).toMatchObject({ code: 'UNAUTHORIZED', error: 'unauthenticated' });
  });
});
