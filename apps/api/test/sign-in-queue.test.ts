// A burst of sign-ins does not pile up behind argon2: with 64 or more password checks waiting in
// the one bounded queue (@studio/db/password), a further sign-in is refused at once with 429
// (bucket signInQueue) instead of waiting its turn, and once the queue has drained the same person
// signs in.
import { testTargets } from '@studio/db/testing';
import { hashPassword, passwordWork, verifyPassword } from '@studio/db/password';
import { describe, expect, it } from 'vitest';
import { problemOf, TEST_PASSWORD, useHarness } from './support/harness';

const pglite = testTargets.filter((target) => target.name === 'pglite');

describe.each(pglite)('sign-in sheds load past the password queue limit on $name', (target) => {
  const h = useHarness(target);

  it('refuses a sign-in with 429 signInQueue while more than 64 checks wait, and signs in once they are done', { timeout: 120_000 }, async () => {
    const person = await h.user('burst');
    const stored = await hashPassword('someone-elses-password');
    // Real verifications (tens of milliseconds each), 16 more than the limit, so the queue is still
    // past the limit when the sign-in asks even if a few have finished in between.
    const burst = Array.from({ length: 80 + passwordWork.concurrency }, () => verifyPassword(stored, 'wrong'));
    expect(passwordWork.waiting).toBe(80);

    const refused = await problemOf(h.caller(null, { ip: '198.51.100.7' }).auth.signIn({ username: person.username, password: TEST_PASSWORD }));
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', details: { bucket: 'signInQueue', limit: 64 } });
    expect(refused.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    expect(await Promise.all(burst)).toEqual(burst.map(() => false));
    expect(passwordWork.waiting).toBe(0);
    await expect(h.caller(null, { ip: '198.51.100.7' }).auth.signIn({ username: person.username, password: TEST_PASSWORD })).resolves.toMatchObject({ user: { id: person.id } });
  });
});
