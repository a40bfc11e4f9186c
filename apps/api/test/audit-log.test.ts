// The audit log: filters, newest first, cursor pagination across rows written in the same millisecond.
import { auditLog } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';

describe.each(testTargets)('audit log on $name', (target) => {
  const h = useHarness(target);

  it('filters by actor, action, target and time, newest first, paging without gaps or repeats', async () => {
    const owner = await h.user();
    const other = await h.user();
    const ws = await h.workspace(owner);
    await h.member(ws.id, other, 'Admin');
    const db = h.testDb.database.db;
    const base = new Date('2026-01-01T00:00:00.000Z');
    // 7 rows, several sharing a timestamp, to prove the cursor compares (at, id) exactly.
    await db.insert(auditLog).values(
      Array.from({ length: 7 }, (_, i) => ({
        workspaceId: ws.id,
        actorUserId: i % 2 ? other.id : owner.id,
        action: i < 4 ? 'connection.create' : 'access.grant',
        targetType: 'connection',
        targetId: `c${i}`,
        outcome: 'success' as const,
        at: new Date(base.getTime() + Math.floor(i / 2) * 1000),
      })),
    );
    const api = h.caller(owner.principal);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.audit.list({ workspaceId: ws.id, limit: 3, cursor, to: new Date(base.getTime() + 3_600_000) });
      seen.push(...page.items.map((r) => r.targetId ?? ''));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen[0]).toBe('c6');

    const byActor = await api.audit.list({ workspaceId: ws.id, actorUserId: other.id, to: new Date(base.getTime() + 3_600_000) });
    expect(byActor.items.map((r) => r.targetId).sort()).toEqual(['c1', 'c3', 'c5']);
    const byAction = await api.audit.list({ workspaceId: ws.id, action: 'access.grant' });
    expect(byAction.items).toHaveLength(3);
    const byTarget = await api.audit.list({ workspaceId: ws.id, targetType: 'connection', targetId: 'c2' });
    expect(byTarget.items.map((r) => r.targetId)).toEqual(['c2']);
    const window = await api.audit.list({ workspaceId: ws.id, from: new Date(base.getTime() + 1000), to: new Date(base.getTime() + 1999) });
    expect(window.items.map((r) => r.targetId).sort()).toEqual(['c2', 'c3']);
  });
});
