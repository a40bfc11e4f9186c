// Connections to cloud metadata / link-local addresses are refused with the reason, and audited.
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

describe.each(testTargets)('outbound policy on $name', (target) => {
  const h = useHarness(target);

  const base = { type: 'mssql' as const, port: 1433, database: 'd', user: 'u', password: 'pw' };

  it.each([
    ['169.254.169.254', 'cloud_metadata'],
    ['metadata.test', 'cloud_metadata'],
    ['169.254.10.10', 'link_local'],
  ])('refuses %s on create (%s), saves nothing, audits the refusal', async (host, reason) => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const problem = await problemOf(h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'm', host, ...base }));
    expect(problem).toMatchObject({ code: 'FORBIDDEN', error: 'outbound_refused', details: { reason, field: 'host' } });
    expect(problem.message).toMatch(/refused/);
    expect(await h.testDb.database.db.select().from(connections).where(eq(connections.workspaceId, ws.id))).toHaveLength(0);
    const rows = await h.auditRows(ws.id);
    expect(rows).toEqual([expect.objectContaining({ action: 'connection.create', outcome: 'denied', details: { reason, host } })]);
  });

  it('refuses moving an existing connection to a metadata address', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const c = await api.connections.create({ workspaceId: ws.id, name: 'ok', host: 'db.test', ...base });
    const problem = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: c.id, host: '169.254.169.254' }));
    expect(problem).toMatchObject({ code: 'FORBIDDEN', error: 'outbound_refused' });
    expect((await api.connections.get({ workspaceId: ws.id, connectionId: c.id })).host).toBe('db.test');
    const rows = await h.auditRows(ws.id);
    expect(rows).toContainEqual(expect.objectContaining({ action: 'connection.update', outcome: 'denied', targetId: c.id }));
  });
});
