// "Sign out everywhere else": a user ends all their other sessions and keeps the one in hand;
// other users' sessions are untouched, and API tokens cannot do it.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/services/authorization';
import { problemOf, TEST_PASSWORD, useHarness } from './support/harness';

describe.each(testTargets)('revoking other sessions on $name', (target) => {
  const h = useHarness(target);

  async function signIn(username: string): Promise<{ sessionId: string; principal: Principal }> {
    const { caller, ctx } = h.callerWithContext(null);
    await caller.auth.signIn({ username, password: TEST_PASSWORD });
    const sessionId = ctx.sessionCookies.issued as string;
    const validated = await h.services.sessions.validate(sessionId);
    return { sessionId, principal: { kind: 'user', userId: validated!.user.id, username, displayName: null, sessionId } };
  }

  it('ends every other session of the caller and keeps the current one', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    const laptop = await signIn(alice.username);
    const phone = await signIn(alice.username);
    const tablet = await signIn(alice.username);
    const bobs = await signIn(bob.username);

    const api = h.caller(laptop.principal);
    expect(await api.auth.sessions()).toHaveLength(3);
    expect(await api.auth.revokeOtherSessions()).toEqual({ revoked: 2 });

    expect(await h.services.sessions.validate(phone.sessionId)).toBeNull();
    expect(await h.services.sessions.validate(tablet.sessionId)).toBeNull();
    expect(await h.services.sessions.validate(laptop.sessionId)).not.toBeNull();
    expect(await h.services.sessions.validate(bobs.sessionId)).not.toBeNull();
    expect(await api.auth.sessions()).toEqual([expect.objectContaining({ current: true })]);
    expect(await api.auth.revokeOtherSessions()).toEqual({ revoked: 0 });

    const audit = (await h.auditRows())
      .filter((r) => r.action === 'auth.revokeOtherSessions' && r.actorUserId === alice.id)
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(audit.map((r) => r.details)).toEqual([{ revoked: 2 }, { revoked: 0 }]);
  });

  it('is for people, not API tokens', async () => {
    const owner = await h.user('owner');
    const workspace = await h.workspace(owner);
    const token = await h.token(workspace.id, 'Admin');
    expect(await problemOf(h.caller(token.principal).auth.revokeOtherSessions())).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'session_required' } });
    expect(await problemOf(h.caller(null).auth.revokeOtherSessions())).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
