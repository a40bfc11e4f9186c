// Sign-in, sign-out and session revocation through lucia, with audit rows for every attempt.
import { sessions } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/services/authorization';
import { publicSessionId } from '../src/services/sessions';
import { useHarness, problemOf, TEST_PASSWORD } from './support/harness';

describe.each(testTargets)('auth sessions on $name', (target) => {
  const h = useHarness(target);

  async function signIn(username: string) {
    const { caller, ctx } = h.callerWithContext(null);
    const result = await caller.auth.signIn({ username, password: TEST_PASSWORD });
    const sessionId = ctx.sessionCookies.issued;
    expect(sessionId).toEqual(expect.any(String));
    expect(ctx.sessionCookies.setCookieHeaders[0]).toMatch(/^studio_session=.+; .*HttpOnly/i);
    return { result, sessionId: sessionId as string };
  }

  async function principalOf(sessionId: string): Promise<Principal> {
    const validated = await h.services.sessions.validate(sessionId);
    expect(validated).not.toBeNull();
    return { kind: 'user', userId: validated!.user.id, username: validated!.user.username, displayName: validated!.user.displayName, sessionId };
  }

  it('signs in (case-insensitive username), answers me, lists and revokes sessions, signs out', async () => {
    const user = await h.user('alice');
    const first = await signIn(user.username.toUpperCase());
    expect(first.result.user).toEqual({ id: user.id, username: user.username, displayName: null });
    expect(first.result).not.toHaveProperty('passwordHash');
    const second = await signIn(user.username);

    const api = h.caller(await principalOf(first.sessionId));
    expect(await api.auth.me()).toEqual({ kind: 'user', user: { id: user.id, username: user.username, displayName: null } });
    const listed = await api.auth.sessions();
    expect(listed).toHaveLength(2);
    expect(listed.find((s) => s.current)?.id).toBe(publicSessionId(first.sessionId));
    // Listing never hands out the session secret itself.
    expect(JSON.stringify(listed)).not.toContain(first.sessionId);
    expect(JSON.stringify(listed)).not.toContain(second.sessionId);

    await api.auth.revokeSession({ id: publicSessionId(second.sessionId) });
    expect(await h.services.sessions.validate(second.sessionId)).toBeNull();
    expect(await problemOf(api.auth.revokeSession({ id: 'nope' }))).toMatchObject({ code: 'NOT_FOUND' });

    const { caller, ctx } = h.callerWithContext(await principalOf(first.sessionId));
    await caller.auth.signOut();
    expect(ctx.sessionCookies.issued).toBeNull();
    expect(ctx.sessionCookies.setCookieHeaders[0]).toMatch(/Max-Age=0/i);
    expect(await h.services.sessions.validate(first.sessionId)).toBeNull();
    expect(await h.testDb.database.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(0);

    const audit = (await h.auditRows()).filter((r) => r.actorUserId === user.id);
    expect(audit.map((r) => [r.action, r.outcome])).toEqual(
      expect.arrayContaining([
        ['auth.signIn', 'success'],
        ['auth.revokeSession', 'success'],
        ['auth.signOut', 'success'],
      ]),
    );
  });

  it('refuses a wrong password and an unknown user alike, auditing both failures', async () => {
    const user = await h.user('bob');
    const wrong = await problemOf(h.caller(null).auth.signIn({ username: user.username, password: 'wrong password!' }));
    const unknown = await problemOf(h.caller(null).auth.signIn({ username: 'nobody-here', password: 'whatever-pass' }));
    expect(wrong).toEqual(unknown);
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', error: 'authentication_failed' });
    const failures = (await h.auditRows()).filter((r) => r.action === 'auth.signIn' && r.outcome === 'failure');
    expect(failures.map((r) => r.actorUsername)).toEqual(expect.arrayContaining([user.username, 'nobody-here']));
    expect(JSON.stringify(failures)).not.toContain('wrong password!');
  });

  it('limits password guessing per username and address', async () => {
    const user = await h.user('carol');
    const api = h.caller(null, { ip: '198.51.100.9' });
    for (let i = 0; i < 10; i += 1) {
      await expect(api.auth.signIn({ username: user.username, password: `guess-${i}` })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const limited = await problemOf(api.auth.signIn({ username: user.username, password: TEST_PASSWORD }));
    expect(limited).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'signIn' } });
  });
});
