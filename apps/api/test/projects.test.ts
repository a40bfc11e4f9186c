// Import projects (seed 004): CRUD with the config's defaults filled in, name unique per workspace,
// who may change them (Owners/Admins, Members with manage on the connection), and the connection
// becoming NULL when it is deleted (the project stays; references name it first).
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

const connectionFields = (name: string) => ({ name, type: 'postgres' as const, host: '10.0.0.1', port: 5432, database: 'sales', user: 'loader', password: 'project-test-secret' });

describe.each(testTargets)('import projects on $name', (target) => {
  const h = useHarness(target);

  async function workspace() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = await api.connections.create({ workspaceId: ws.id, ...connectionFields('warehouse') });
    return { owner, ws, api, connection };
  }

  it('creates a project with the seed defaults, lists, reads, updates and deletes it, auditing each change', async () => {
    const { ws, api, connection } = await workspace();
    const created = await api.projects.create({ workspaceId: ws.id, name: 'customer_abc', connectionId: connection.id, config: { name: 'customer_abc', defaults: { file_pattern: '*.csv', primary_key: 'id' } } });
    expect(created).toMatchObject({
      name: 'customer_abc',
      description: null,
      connectionId: connection.id,
      connection: { id: connection.id, name: 'warehouse', type: 'postgres' },
      config: {
        defaults: { file_pattern: '*.csv', primary_key: 'id' },
        csv: { delimiter: ',', quote: '"', encoding: 'utf-8', header: true, null_markers: [''], date_format: 'YYYY-MM-DD', time_format: 'HH:mm:ss', timestamp_format: 'YYYY-MM-DD HH:mm:ss' },
        mappings: [],
      },
    });
    expect(JSON.stringify(created)).not.toContain('project-test-secret');

    const bare = await api.projects.create({ workspaceId: ws.id, name: 'bare' });
    expect(bare).toMatchObject({ connectionId: null, connection: null, config: { defaults: { file_pattern: '*.csv', primary_key: 'id' } } });

    expect((await api.projects.list({ workspaceId: ws.id })).items.map((p) => p.name)).toEqual(['bare', 'customer_abc']);
    const page = await api.projects.list({ workspaceId: ws.id, limit: 1 });
    expect(page).toMatchObject({ items: [{ name: 'bare' }], nextCursor: 'bare' });
    expect((await api.projects.list({ workspaceId: ws.id, cursor: 'bare' })).items.map((p) => p.name)).toEqual(['customer_abc']);

    const mapping = { file_pattern: 'orders_*.csv', table: 'sales.orders', columns: { 'Order ID': 'id' }, ignore: ['notes'] };
    const updated = await api.projects.update({ workspaceId: ws.id, projectId: created.id, description: 'ABC exports', config: { csv: { delimiter: ';', encoding: 'latin1', null_markers: ['', 'NULL'] }, mappings: [mapping] } });
    expect(updated).toMatchObject({ description: 'ABC exports', config: { csv: { delimiter: ';', encoding: 'latin1', null_markers: ['', 'NULL'], quote: '"' }, mappings: [{ ...mapping }] } });
    expect(await api.projects.get({ workspaceId: ws.id, projectId: created.id })).toEqual(updated);

    expect(await api.projects.delete({ workspaceId: ws.id, projectId: created.id })).toEqual({ id: created.id, deleted: true });
    expect(await problemOf(api.projects.get({ workspaceId: ws.id, projectId: created.id }))).toMatchObject({ code: 'NOT_FOUND', error: 'project_not_found', details: { field: 'projectId' } });

    const audit = (await h.auditRows(ws.id)).filter((row) => row.action.startsWith('project.'));
    expect(audit.map((row) => [row.action, row.outcome, row.targetId])).toEqual(
      expect.arrayContaining([
        ['project.create', 'success', created.id],
        ['project.update', 'success', created.id],
        ['project.delete', 'success', created.id],
      ]),
    );
  });

  it('refuses a duplicate name, an unknown connection and a bad config, naming the field', async () => {
    const { ws, api, connection } = await workspace();
    await api.projects.create({ workspaceId: ws.id, name: 'dup', connectionId: connection.id });
    expect(await problemOf(api.projects.create({ workspaceId: ws.id, name: 'dup' }))).toMatchObject({ code: 'CONFLICT', error: 'conflict', details: { field: 'name' } });
    expect(await problemOf(api.projects.create({ workspaceId: ws.id, name: 'ghost', connectionId: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ code: 'NOT_FOUND', details: { field: 'connectionId' } });
    const bad = await problemOf(api.projects.create({ workspaceId: ws.id, name: 'bad', config: { csv: { delimiter: ';;', encoding: 'ebcdic' as 'utf-8' } } }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    expect((bad.details.fields as { path: string }[]).map((f) => f.path).sort()).toEqual(['config.csv.delimiter', 'config.csv.encoding']);
    const unknownKey = await problemOf(api.projects.create({ workspaceId: ws.id, name: 'bad', config: { connection: { env_var: 'CUSTOMER_ABC_DB_URL' } } as never }));
    expect(unknownKey).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    expect(unknownKey.message).toContain('config');
    const badFormat = await problemOf(api.projects.create({ workspaceId: ws.id, name: 'bad', config: { csv: { date_format: 'yyyy%mm' } } }));
    expect(badFormat.details.fields).toEqual([expect.objectContaining({ path: 'config.csv.date_format' })]);
    expect((await api.projects.list({ workspaceId: ws.id })).items.map((p) => p.name)).toEqual(['dup']);
  });

  it('lets Owners/Admins and Members with manage on the connection edit projects; use holders and Viewers only read', async () => {
    const { ws, api, connection } = await workspace();
    const other = await api.connections.create({ workspaceId: ws.id, ...connectionFields('other') });
    const manager = await h.user('manager');
    const user = await h.user('user');
    const viewer = await h.user('viewer');
    const admin = await h.user('admin');
    await h.member(ws.id, manager, 'Member');
    await h.member(ws.id, user, 'Member');
    await h.member(ws.id, viewer, 'Viewer');
    await h.member(ws.id, admin, 'Admin');
    await api.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: manager.id, level: 'manage' });
    await api.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: user.id, level: 'use' });

    const byManager = await h.caller(manager.principal).projects.create({ workspaceId: ws.id, name: 'by-manager', connectionId: connection.id });
    await h.caller(manager.principal).projects.update({ workspaceId: ws.id, projectId: byManager.id, description: 'mine' });
    // Moving it to a connection the Member does not manage is refused, and so is a project on none.
    expect(await problemOf(h.caller(manager.principal).projects.update({ workspaceId: ws.id, projectId: byManager.id, connectionId: other.id }))).toMatchObject({
      code: 'FORBIDDEN',
      details: { action: 'project.manage', reason: 'manage_grant_required' },
    });
    expect(await problemOf(h.caller(manager.principal).projects.create({ workspaceId: ws.id, name: 'nowhere' }))).toMatchObject({ code: 'FORBIDDEN', details: { action: 'project.manage' } });

    for (const who of [user, viewer]) {
      const caller = h.caller(who.principal);
      expect((await caller.projects.list({ workspaceId: ws.id })).items.map((p) => p.name)).toEqual(['by-manager']);
      const refusal = await problemOf(caller.projects.update({ workspaceId: ws.id, projectId: byManager.id, description: 'theirs' }));
      expect(refusal).toMatchObject({ code: 'FORBIDDEN', error: 'forbidden', details: { action: 'project.manage' } });
      expect(await problemOf(caller.projects.delete({ workspaceId: ws.id, projectId: byManager.id }))).toMatchObject({ code: 'FORBIDDEN' });
    }
    const byAdmin = await h.caller(admin.principal).projects.update({ workspaceId: ws.id, projectId: byManager.id, connectionId: other.id });
    expect(byAdmin.connection?.name).toBe('other');
    const denied = (await h.auditRows(ws.id)).filter((row) => row.action === 'project.manage' && row.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps the project when its connection is deleted: references name it first, then its connection is NULL', async () => {
    const { ws, api, connection } = await workspace();
    const project = await api.projects.create({ workspaceId: ws.id, name: 'orphan-safe', connectionId: connection.id });
    expect((await api.connections.references({ workspaceId: ws.id, connectionId: connection.id })).projects).toEqual([{ id: project.id, name: 'orphan-safe' }]);
    await api.connections.delete({ workspaceId: ws.id, connectionId: connection.id });
    expect(await api.projects.get({ workspaceId: ws.id, projectId: project.id })).toMatchObject({ id: project.id, connectionId: null, connection: null });
  });
});
