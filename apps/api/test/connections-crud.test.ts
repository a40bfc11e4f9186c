import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

const PASSWORD = 'S3cret-p@ss-for-crud';

describe.each(testTargets)('connections CRUD on $name', (target) => {
  const h = useHarness(target);

  async function setup() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    return { owner, ws, api: h.caller(owner.principal) };
  }

  it('creates, gets, lists, updates and deletes, never returning the password', async () => {
    const { ws, api } = await setup();
    const created = await api.connections.create({
      workspaceId: ws.id,
      name: 'warehouse',
      type: 'mssql',
      host: '10.0.0.5',
      port: 1433,
      database: 'dw',
      user: 'sa',
      password: PASSWORD,
      options: { trustServerCertificate: true, poolSize: 5 },
    });
    expect(created).toMatchObject({ name: 'warehouse', type: 'mssql', host: '10.0.0.5', port: 1433, user: 'sa', hasPassword: true, status: 'unknown' });
    expect(created).not.toHaveProperty('password');
    expect(created).not.toHaveProperty('passwordEncrypted');
    expect(created).not.toHaveProperty('userEncrypted');

    // Stored sealed: neither credential is in the row in clear.
    const [row] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, created.id));
    expect(row?.passwordEncrypted).toMatch(/^gcm1:1:/);
    expect(row?.passwordEncrypted).not.toContain(PASSWORD);
    expect(row?.userEncrypted).not.toBe('sa');
    expect(h.services.keyRing.decrypt(row!.passwordEncrypted!, `connection:${created.id}:password`)).toBe(PASSWORD);

    expect(await api.connections.get({ workspaceId: ws.id, connectionId: created.id })).toEqual(created);
    await api.connections.create({ workspaceId: ws.id, name: 'analytics', type: 'postgres', host: '10.0.0.6', port: 5432, database: 'a', user: 'u' });

    const page1 = await api.connections.list({ workspaceSlug: ws.slug, limit: 1 });
    expect(page1.items.map((c) => c.name)).toEqual(['analytics']);
    expect(page1.items[0]?.hasPassword).toBe(false);
    const page2 = await api.connections.list({ workspaceId: ws.id, limit: 1, cursor: page1.nextCursor! });
    expect(page2.items.map((c) => c.name)).toEqual(['warehouse']);
    expect(page2.nextCursor).toBeNull();

    // Omitted password = keep (for edits that leave the target alone; a move needs the password again).
    const renamed = await api.connections.update({ workspaceId: ws.id, connectionId: created.id, name: 'dw-main', options: { trustServerCertificate: true, poolSize: 8 } });
    expect(renamed).toMatchObject({ name: 'dw-main', port: 1433, options: { poolSize: 8 }, hasPassword: true });
    const [kept] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, created.id));
    expect(h.services.keyRing.decrypt(kept!.passwordEncrypted!, `connection:${created.id}:password`)).toBe(PASSWORD);

    // New password = replace; null = clear.
    await api.connections.update({ workspaceId: ws.id, connectionId: created.id, password: 'another-one' });
    const [replaced] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, created.id));
    expect(h.services.keyRing.decrypt(replaced!.passwordEncrypted!, `connection:${created.id}:password`)).toBe('another-one');
    const cleared = await api.connections.update({ workspaceId: ws.id, connectionId: created.id, password: null });
    expect(cleared.hasPassword).toBe(false);

    expect(await api.connections.delete({ workspaceId: ws.id, connectionId: created.id })).toEqual({ id: created.id, deleted: true });
    const gone = await problemOf(api.connections.get({ workspaceId: ws.id, connectionId: created.id }));
    expect(gone).toMatchObject({ code: 'NOT_FOUND', error: 'not_found' });
  });

  it('shows the database user name only to those who manage the connection', async () => {
    const { owner, ws, api } = await setup();
    const viewer = await h.user('viewer');
    const member = await h.user('member');
    await h.member(ws.id, viewer, 'Viewer');
    await h.member(ws.id, member, 'Member');
    const c = await api.connections.create({ workspaceId: ws.id, name: 'c', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'd', user: 'sa', password: PASSWORD });
    for (const reader of [viewer, member]) {
      const seen = await h.caller(reader.principal).connections.get({ workspaceId: ws.id, connectionId: c.id });
      expect(seen).toMatchObject({ name: 'c', host: '10.0.0.5', hasPassword: true, user: null });
      const listed = await h.caller(reader.principal).connections.list({ workspaceId: ws.id });
      expect(listed.items[0]?.user).toBeNull();
    }
    await h.services.access.grant(ws.id, { connectionId: c.id, userId: member.id, level: 'manage' }, owner.id);
    expect((await h.caller(member.principal).connections.get({ workspaceId: ws.id, connectionId: c.id })).user).toBe('sa');
    expect((await api.connections.list({ workspaceId: ws.id })).items[0]?.user).toBe('sa');
  });

  it('answers NOT_FOUND for a connection of another workspace', async () => {
    const a = await setup();
    const b = await setup();
    const foreign = await b.api.connections.create({ workspaceId: b.ws.id, name: 'x', type: 'mysql', host: '10.0.0.9', port: 3306, database: 'd', user: 'u' });
    const problem = await problemOf(a.api.connections.get({ workspaceId: a.ws.id, connectionId: foreign.id }));
    expect(problem.code).toBe('NOT_FOUND');
    await expect(a.api.connections.delete({ workspaceId: a.ws.id, connectionId: foreign.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('audits each mutation', async () => {
    const { ws, api } = await setup();
    const c = await api.connections.create({ workspaceId: ws.id, name: 'audited', type: 'postgres', host: '10.0.0.7', port: 5432, database: 'd', user: 'u', password: PASSWORD });
    await api.connections.update({ workspaceId: ws.id, connectionId: c.id, password: 'rotated-secret' });
    await api.connections.delete({ workspaceId: ws.id, connectionId: c.id });
    const rows = await h.auditRows(ws.id);
    expect(rows.map((r) => [r.action, r.outcome, r.targetId])).toEqual(
      expect.arrayContaining([
        ['connection.create', 'success', c.id],
        ['connection.update', 'success', c.id],
        ['connection.delete', 'success', c.id],
      ]),
    );
    expect(rows.find((r) => r.action === 'connection.update')?.details).toEqual({ changed: ['password'] });
    expect(rows.every((r) => r.ip === '203.0.113.7' && r.userAgent === 'vitest')).toBe(true);
  });
});
