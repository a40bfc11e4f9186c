// API tokens: shown once, stored hashed, scoped to one workspace and role, revocable.
import { apiTokens } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../src/services/api-tokens';
import { useHarness } from './support/harness';

describe.each(testTargets)('API tokens on $name', (target) => {
  const h = useHarness(target);

  it('creates once, authenticates with its role, lists without the secret, revokes', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const created = await api.tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Viewer' });
    expect(created.token).toMatch(/^wss_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));

    const [row] = await h.testDb.database.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row?.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const listed = await api.tokens.list({ workspaceId: ws.id });
    expect(listed.items).toEqual([expect.objectContaining({ id: created.id, name: 'ci', prefix: created.prefix, role: 'Viewer', lastUsedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed.items[0]).not.toHaveProperty('tokenHash');

    const principal = await h.services.tokens.authenticate(created.token);
    expect(principal).toMatchObject({ kind: 'token', tokenId: created.id, workspaceId: ws.id, role: 'Viewer' });
    const asToken = h.caller(principal);
    expect(await asToken.auth.me()).toMatchObject({ kind: 'token', token: { id: created.id, role: 'Viewer' } });
    await expect(asToken.connections.list({ workspaceId: ws.id })).resolves.toMatchObject({ items: [] });
    await expect(
      asToken.connections.create({ workspaceId: ws.id, name: 'x', type: 'mssql', host: '10.0.0.1', port: 1433, database: 'd', user: 'u' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [used] = await h.testDb.database.db.select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(used?.lastUsedAt).toBeInstanceOf(Date);

    await api.tokens.revoke({ workspaceId: ws.id, tokenId: created.id });
    expect(await h.services.tokens.authenticate(created.token)).toBeNull();
    const audit = await h.auditRows(ws.id);
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['token.create', 'token.revoke']));
    expect(JSON.stringify(audit)).not.toContain(created.token);
  });

  it('pages newest first', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    for (const name of ['a', 'b', 'c']) await api.tokens.create({ workspaceId: ws.id, name });
    const first = await api.tokens.list({ workspaceId: ws.id, limit: 2 });
    const second = await api.tokens.list({ workspaceId: ws.id, limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((t) => t.name)).toEqual(['c', 'b', 'a']);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses expired, unknown and malformed tokens', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const created = await h.services.tokens.create({ workspaceId: ws.id, name: 'old', role: 'Member', createdBy: owner.id });
    await h.testDb.database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, created.id));
    expect(await h.services.tokens.authenticate(created.token)).toBeNull();
    expect(await h.services.tokens.authenticate('wss_unknown')).toBeNull();
    expect(await h.services.tokens.authenticate('not-a-token')).toBeNull();
  });

  it('refuses an expiry in the past at creation', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    await expect(h.caller(owner.principal).tokens.create({ workspaceId: ws.id, name: 'x', expiresAt: new Date(Date.now() - 60_000) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      cause: { problem: { details: { fields: [expect.objectContaining({ path: 'expiresAt' })] } } },
    });
  });
});
