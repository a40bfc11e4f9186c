// People and accounts through the SDK against the real API (PGlite, and PostgreSQL when DATABASE_URL
// is set): an Admin's session creates a person with an invite link, the person sets a password with
// the link once, and an API token is refused every people operation with the F10 body.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, StudioApiError } from '../src/index';
import { startTestApi, type TestApi } from './support/api';

const PASSWORD = 'sdk maria passphrase';

describe.each(testTargets)('people through the SDK on $name', (target) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(target);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('an Admin session invites a person; the link sets the password once; the person signs in', async () => {
    const created = await api.admin.users.create.mutate({ username: 'sdk-maria', displayName: 'Maria', systemRole: 'User' });
    expect(created.user).toMatchObject({ username: 'sdk-maria', status: 'invited', signIn: 'none', pendingLink: 'invite' });
    const token = created.link!.token;
    expect(token).toMatch(/^wsi_[A-Za-z0-9_-]{43}$/);
    expect(created.link!.expiresAt).toBeInstanceOf(Date);

    const visitor = createClient({ url: api.url });
    expect(await visitor.account.describeLink.query({ token })).toMatchObject({ kind: 'invite', username: 'sdk-maria', displayName: 'Maria' });
    expect(await visitor.account.acceptLink.mutate({ token, password: PASSWORD })).toEqual({ username: 'sdk-maria', kind: 'invite' });
    const again = await visitor.account.acceptLink.mutate({ token, password: PASSWORD }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(StudioApiError);
    expect(again).toMatchObject({ code: 'NOT_FOUND', status: 404, details: { field: 'token', reason: 'used' } });

    await visitor.auth.signIn.mutate({ username: 'sdk-maria', password: PASSWORD });
    const listed = await api.admin.users.list.query({ query: 'sdk-maria', limit: 5 });
    expect(listed.items).toEqual([expect.objectContaining({ username: 'sdk-maria', status: 'active', signIn: 'password', pendingLink: null })]);
  });

  it('refuses an API token (even an Owner one) every people and account operation', async () => {
    const service = createClient({ url: api.url, token: (await api.token('Owner')).token });
    const [someone] = (await api.admin.users.list.query({ query: 'user', limit: 1 })).items;
    const calls: Record<string, () => Promise<unknown>> = {
      'users.list': () => service.users.list.query({ limit: 5 }),
      'users.create': () => service.users.create.mutate({ username: 'by-token', systemRole: 'User' }),
      'users.passwordReset': () => service.users.passwordReset.mutate({ userId: someone!.id }),
      'users.deactivate': () => service.users.deactivate.mutate({ userId: someone!.id }),
      'account.changePassword': () => service.account.changePassword.mutate({ currentPassword: 'x', newPassword: 'a long enough passphrase' }),
      'account.sessions': () => service.account.sessions.query(),
    };
    for (const [name, call] of Object.entries(calls)) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error, name).toBeInstanceOf(StudioApiError);
      expect(error, name).toMatchObject({ code: 'FORBIDDEN', status: 403, error: 'forbidden', details: { reason: 'session_required' } });
    }
    // Nothing changed: the person the token tried to deactivate is still active.
    expect((await api.admin.users.get.query({ userId: someone!.id })).status).toBe('active');
  });
});
