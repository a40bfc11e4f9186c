// A connection password never appears in a response, an error, or an audit row.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { useHarness } from './support/harness';

const PASSWORD = 'Pl41nT3xt-N3v3r-L34k';
const NEW_PASSWORD = 'R0t4t3d-Als0-N3v3r';

describe.each(testTargets)('secrets stay secret on $name', (target) => {
  const h = useHarness(target);

  it('through create, get, list, update, errors and the audit log', async () => {
    const owner = await h.user();
    const member = await h.user();
    const ws = await h.workspace(owner);
    await h.member(ws.id, member, 'Member');
    const api = h.caller(owner.principal);
    const seen: unknown[] = [];
    const keep = async <T>(p: Promise<T>) => {
      try {
        const value = await p;
        seen.push(value);
        return value;
      } catch (error) {
        seen.push({ message: (error as Error).message, cause: (error as { cause?: unknown }).cause });
        return undefined;
      }
    };

    const base = { workspaceId: ws.id, type: 'postgres' as const, host: '10.0.0.8', port: 5432, database: 'd', user: 'app' };
    const created = await keep(api.connections.create({ ...base, name: 'prod', password: PASSWORD }));
    await keep(api.connections.get({ workspaceId: ws.id, connectionId: created!.id }));
    await keep(api.connections.list({ workspaceId: ws.id }));
    await keep(api.connections.update({ workspaceId: ws.id, connectionId: created!.id, password: NEW_PASSWORD }));
    // Failures that carry the password in their input.
    await keep(api.connections.create({ ...base, name: 'prod', password: PASSWORD }));
    await keep(api.connections.create({ ...base, name: 'meta', host: '169.254.169.254', password: PASSWORD }));
    await keep(api.connections.create({ ...base, name: 'x'.repeat(101), password: PASSWORD }));
    await keep(h.caller(member.principal).connections.update({ workspaceId: ws.id, connectionId: created!.id, password: NEW_PASSWORD }));
    await keep(h.caller(null).auth.signIn({ username: owner.username, password: PASSWORD }));

    const audit = await h.auditRows();
    const everything = superjson.stringify({ seen, audit });
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(NEW_PASSWORD);
    expect(audit.length).toBeGreaterThanOrEqual(5);
  });
});
