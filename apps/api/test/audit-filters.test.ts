// Issue 16 item 10: the audit log's action filter matches whole-part prefixes ("procedure" finds
// procedure.*), an inverted date range is refused naming `to`, and targets come with their names.
import { auditLog } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

describe.each(testTargets)('audit filters on $name', (target) => {
  const h = useHarness(target);

  it('an action filter finds the action and every action under it, not other words that start alike', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    await h.testDb.database.db.insert(auditLog).values(
      ['procedure.publish', 'procedure.create', 'procedures_report.read', 'procedure', 'connection.create'].map((action) => ({ workspaceId: ws.id, action, outcome: 'success' as const })),
    );
    const api = h.caller(owner.principal);
    const actions = async (action: string) => (await api.audit.list({ workspaceId: ws.id, action })).items.map((e) => e.action).sort();
    expect(await actions('procedure')).toEqual(['procedure', 'procedure.create', 'procedure.publish']);
    expect(await actions('procedure.')).toEqual(['procedure', 'procedure.create', 'procedure.publish']);
    expect(await actions('procedure.publish')).toEqual(['procedure.publish']);
    expect(await actions('proc')).toEqual([]);
  });

  it('an inverted date range is an error naming `to`', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const problem = await problemOf(h.caller(owner.principal).audit.list({ workspaceId: ws.id, from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { fields: [{ path: 'to' }] } });
    expect(problem.message).toContain('to: must not be before from');
  });

  it("shows each target's current name, only from this workspace, and none for one that is gone", async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const elsewhere = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const valid = { type: 'mssql' as const, host: '10.0.0.5', port: 1433, database: 'db', user: 'sa', password: 'pw-123456' };
    const mine = await api.connections.create({ workspaceId: ws.id, name: 'Orders DB', ...valid });
    const theirs = await api.connections.create({ workspaceId: elsewhere.id, name: 'Secret elsewhere', ...valid });
    const gone = '00000000-0000-4000-8000-000000000001';
    await h.testDb.database.db.insert(auditLog).values([
      { workspaceId: ws.id, action: 'test.mine', targetType: 'connection', targetId: mine.id, outcome: 'success' as const },
      { workspaceId: ws.id, action: 'test.theirs', targetType: 'connection', targetId: theirs.id, outcome: 'success' as const },
      { workspaceId: ws.id, action: 'test.gone', targetType: 'connection', targetId: gone, outcome: 'success' as const },
      { workspaceId: ws.id, action: 'test.member', targetType: 'member', targetId: owner.id, outcome: 'success' as const },
    ]);
    const items = (await api.audit.list({ workspaceId: ws.id, action: 'test' })).items;
    const nameOf = (action: string) => items.find((e) => e.action === action)?.targetName;
    expect(nameOf('test.mine')).toBe('Orders DB');
    expect(nameOf('test.theirs')).toBeNull();
    expect(nameOf('test.gone')).toBeNull();
    expect(nameOf('test.member')).toBe(owner.username);
  });

  it('exports the whole filtered view in one answer, with the same filters and names', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    await h.testDb.database.db.insert(auditLog).values(
      Array.from({ length: 260 }, (_, i) => ({ workspaceId: ws.id, action: i % 2 ? 'procedure.publish' : 'connection.create', outcome: 'success' as const })),
    );
    const api = h.caller(owner.principal);
    const all = await api.audit.export({ workspaceId: ws.id, action: 'procedure' });
    expect(all.items).toHaveLength(130);
    expect(new Set(all.items.map((e) => e.action))).toEqual(new Set(['procedure.publish']));
    expect(all.truncated).toBe(false);
    const inverted = await problemOf(api.audit.export({ workspaceId: ws.id, from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') }));
    expect(inverted).toMatchObject({ code: 'BAD_REQUEST', details: { fields: [{ path: 'to' }] } });
  });
});
