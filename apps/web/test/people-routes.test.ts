// The People, Account, invite and forced-change pages through their loaders and actions, with real
// Requests against a started app, the way the Remix handler calls them.
import { beforeAll, describe, expect, it } from 'vitest';
import * as account from '../app/routes/account';
import * as changePassword from '../app/routes/change-password';
import * as invite from '../app/routes/invite.$token';
import * as people from '../app/routes/people';
import * as access from '../app/routes/w.$slug.settings.access';
import * as memberSearch from '../app/routes/w.$slug.member-search';
import * as workspace from '../app/routes/w.$slug';
import { ORIGIN, type RouteFn, routeTestApp } from './support';

const ADMIN_PASSWORD = 'admin-people-routes-pw';
const USER_PASSWORD = 'user-people-routes-pw';
const { call, sessionCookie } = routeTestApp({ name: 'people', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'people-route-test' });

type Answer = { ok: boolean; message?: string; value?: { link?: { url: string; kind: string } }; fieldErrors?: Record<string, string>; values?: Record<string, string> };

describe('People, invite links and accounts', () => {
  let admin: string;

  beforeAll(async () => {
    admin = await sessionCookie('admin', ADMIN_PASSWORD);
  });

  it('an Admin invites a person, who sets a password on the link page and signs in', async () => {
    const created = await call(people.action as RouteFn, { path: '/people', cookie: admin, form: { intent: 'create', newUsername: 'maria', displayName: 'Maria', email: '', systemRole: 'User', password: '' } });
    expect(created.status).toBe(200);
    const body = (await created.json()) as Answer;
    const url = body.value!.link!.url;
    expect(url).toMatch(new RegExp(`^${ORIGIN}/invite/wsi_[A-Za-z0-9_-]{43}$`));
    const token = url.split('/invite/')[1]!;

    const listed = (await (await call(people.loader as RouteFn, { path: '/people?q=mar', cookie: admin })).json()) as { people: { username: string; status: string; pendingLink: string }[] };
    expect(listed.people).toEqual([expect.objectContaining({ username: 'maria', status: 'invited', pendingLink: 'invite' })]);
    expect(JSON.stringify(listed)).not.toContain(token);

    const landing = await call(invite.loader as RouteFn, { path: `/invite/${token}`, params: { token } });
    expect(((await landing.json()) as { link: { username: string; kind: string } }).link).toMatchObject({ username: 'maria', kind: 'invite' });

    const mismatch = await call(invite.action as RouteFn, { path: `/invite/${token}`, params: { token }, form: { newPassword: 'maria chooses this', confirmPassword: 'maria chose that' } });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as Answer).fieldErrors).toEqual({ confirmPassword: 'does not match the new password' });

    const weak = await call(invite.action as RouteFn, { path: `/invite/${token}`, params: { token }, form: { newPassword: 'password1234', confirmPassword: 'password1234' } });
    expect(weak.status).toBe(400);
    const weakBody = (await weak.json()) as Answer;
    expect(weakBody.fieldErrors).toEqual({ newPassword: expect.stringMatching(/common/) });
    expect(JSON.stringify(weakBody)).not.toContain('password1234');

    const accepted = await call(invite.action as RouteFn, { path: `/invite/${token}`, params: { token }, form: { newPassword: 'maria chooses this', confirmPassword: 'maria chooses this' } });
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get('location')).toBe('/sign-in?passwordSet=1&username=maria');
    await sessionCookie('maria', 'maria chooses this');

    const spent = await call(invite.loader as RouteFn, { path: `/invite/${token}`, params: { token } });
    expect(spent.status).toBe(404);
    expect(((await spent.json()) as { link: unknown }).link).toBeNull();
  });

  it('sends a person with an Admin-typed password to choose their own before anything else', async () => {
    await call(people.action as RouteFn, { path: '/people', cookie: admin, form: { intent: 'create', newUsername: 'typed', systemRole: 'User', password: 'typed by the admin 1' } });
    const cookie = await sessionCookie('typed', 'typed by the admin 1');
    const page = await call(workspace.loader as RouteFn, { path: '/w/twsbp/connections', params: { slug: 'twsbp' }, cookie });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/change-password?redirectTo=${encodeURIComponent('/w/twsbp/connections')}`);

    const changed = await call(changePassword.action as RouteFn, {
      path: '/change-password',
      cookie,
      form: { currentPassword: 'typed by the admin 1', newPassword: 'my very own passphrase', confirmPassword: 'my very own passphrase', redirectTo: '/w/twsbp/connections' },
    });
    expect(changed.status).toBe(302);
    expect(changed.headers.get('location')).toBe('/w/twsbp/connections');
    const home = await call(account.loader as RouteFn, { path: '/account', cookie });
    expect(home.status).toBe(200);
  });

  it('the Account page changes my own password and lists my sessions', async () => {
    const cookie = await sessionCookie('user', USER_PASSWORD);
    const other = await sessionCookie('user', USER_PASSWORD);
    const loaded = (await (await call(account.loader as RouteFn, { path: '/account', cookie })).json()) as { user: { username: string; hasPassword: boolean }; sessions: { current: boolean; ip: string }[] };
    expect(loaded.user).toMatchObject({ username: 'user', hasPassword: true });
    expect(loaded.sessions.filter((s) => s.current)).toHaveLength(1);
    expect(loaded.sessions.length).toBeGreaterThanOrEqual(2);

    const wrong = await call(account.action as RouteFn, { path: '/account', cookie, form: { intent: 'password', currentPassword: 'not it at all', newPassword: 'a better passphrase', confirmPassword: 'a better passphrase' } });
    expect(wrong.status).toBe(400);
    const wrongBody = (await wrong.json()) as Answer;
    expect(wrongBody.fieldErrors).toEqual({ currentPassword: 'is not correct' });
    expect(JSON.stringify(wrongBody)).not.toContain('a better passphrase');

    const changed = await call(account.action as RouteFn, { path: '/account', cookie, form: { intent: 'password', currentPassword: USER_PASSWORD, newPassword: 'a better passphrase', confirmPassword: 'a better passphrase' } });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as Answer).message).toMatch(/^Password changed; \d+ other sessions? signed out$/);
    // The other browser was signed out; this one stays.
    expect((await call(account.loader as RouteFn, { path: '/account', cookie: other })).headers.get('location')).toMatch(/^\/sign-in/);
    expect((await call(account.loader as RouteFn, { path: '/account', cookie })).status).toBe(200);
    await sessionCookie('user', 'a better passphrase');
  });

  it('People is for system Admins only', async () => {
    const cookie = await sessionCookie('maria', 'maria chooses this');
    const refused = await call(people.loader as RouteFn, { path: '/people', cookie });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { details: { reason: string } }).details.reason).toBe('not_system_admin');
  });

  it('adds a member from the Access page with search-as-you-type, and removes them', async () => {
    const found = (await (await call(memberSearch.loader as RouteFn, { path: '/w/twsbp/member-search?q=MAR', params: { slug: 'twsbp' }, cookie: admin })).json()) as { people: { username: string }[] };
    expect(found.people.map((p) => p.username)).toEqual(['maria']);

    const unknown = await call(access.action as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin, form: { intent: 'addMember', newMember: 'nobody-at-all', role: 'Member' } });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Answer).fieldErrors).toEqual({ newMember: 'No such user' });

    const added = await call(access.action as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin, form: { intent: 'addMember', newMember: 'maria', role: 'Member' } });
    expect(((await added.json()) as Answer).message).toBe('Added maria as Member');
    const maria = await sessionCookie('maria', 'maria chooses this');
    expect((await call(workspace.loader as RouteFn, { path: '/w/twsbp', params: { slug: 'twsbp' }, cookie: maria })).status).toBe(200);

    const members = (await (await call(access.loader as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin })).json()) as { members: { userId: string; username: string }[] };
    const mariaId = members.members.find((m) => m.username === 'maria')!.userId;

    // Her role changes from the same page.
    const demoted = await call(access.action as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin, form: { intent: 'setRole', userId: mariaId, username: 'maria', role: 'Viewer' } });
    expect(((await demoted.json()) as Answer).message).toBe('maria is now Viewer');
    const afterRole = (await (await call(access.loader as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin })).json()) as { members: { username: string; role: string }[] };
    expect(afterRole.members.find((m) => m.username === 'maria')?.role).toBe('Viewer');

    const removed = await call(access.action as RouteFn, { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' }, cookie: admin, form: { intent: 'removeMember', userId: mariaId, username: 'maria' } });
    expect(((await removed.json()) as Answer).message).toBe('Removed maria from the workspace');
    expect((await call(workspace.loader as RouteFn, { path: '/w/twsbp', params: { slug: 'twsbp' }, cookie: maria })).status).toBe(403);
  });
});
