// Issue 14 Deliver 4: inviting a new person from a workspace's Access page, through the route's
// loader and action with real Requests against a started app. A system Admin gets the person, the
// one-time link and the membership in one action; a workspace Owner who is not one is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import * as invite from '../app/routes/invite.$token';
import * as people from '../app/routes/people';
import * as access from '../app/routes/w.$slug.settings.access';
import * as workspace from '../app/routes/w.$slug';
import * as newWorkspace from '../app/routes/workspaces.new';
import { ORIGIN, type RouteFn, routeTestApp } from './support';

const ADMIN_PASSWORD = 'admin-access-invite-pw';
const USER_PASSWORD = 'user-access-invite-pw';
const NEW_PASSWORD = 'nadia chooses this one';
const { call, sessionCookie } = routeTestApp({ name: 'access-invite', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'access-invite-route-test' });

type Answer = {
  ok: boolean;
  intent?: string;
  message?: string;
  problem?: { error: string; message: string; details: Record<string, unknown> };
  value?: { link?: { url: string; kind: string; username: string } };
  fieldErrors?: Record<string, string>;
  values?: Record<string, string>;
};
type People = { people: { username: string; status: string }[] };
type Members = { members: { username: string; role: string }[] };

const ACCESS = { path: '/w/twsbp/settings/access', params: { slug: 'twsbp' } };

describe('inviting a new person from the Access page', () => {
  let admin: string;

  beforeAll(async () => {
    admin = await sessionCookie('admin', ADMIN_PASSWORD);
  });

  const peopleNamed = async (q: string) => ((await (await call(people.loader as RouteFn, { path: `/people?q=${q}`, cookie: admin })).json()) as People).people;
  const membersOf = async (slug: string, cookie: string) =>
    ((await (await call(access.loader as RouteFn, { path: `/w/${slug}/settings/access`, params: { slug }, cookie })).json()) as Members).members;

  it('a system Admin creates the person with a one-time link and adds them with the chosen role in one action', async () => {
    const response = await call(access.action as RouteFn, {
      ...ACCESS,
      cookie: admin,
      form: { intent: 'inviteMember', inviteUsername: 'nadia', inviteDisplayName: 'Nadia', inviteEmail: '', inviteRole: 'Viewer' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Answer;
    expect(body).toMatchObject({ ok: true, intent: 'inviteMember', message: 'Added nadia to this workspace as Viewer' });
    expect(body.value?.link).toMatchObject({ kind: 'invite', username: 'nadia' });
    const url = body.value!.link!.url;
    expect(url).toMatch(new RegExp(`^${ORIGIN}/invite/wsi_[A-Za-z0-9_-]{43}$`));
    const token = url.split('/invite/')[1]!;

    expect(await peopleNamed('nadia')).toEqual([expect.objectContaining({ username: 'nadia', status: 'invited' })]);
    expect((await membersOf('twsbp', admin)).find((m) => m.username === 'nadia')).toMatchObject({ role: 'Viewer' });
    // Shown once: the page's data afterwards never carries the token.
    const page = await call(access.loader as RouteFn, { ...ACCESS, cookie: admin });
    expect(await page.text()).not.toContain(token);

    const accepted = await call(invite.action as RouteFn, { path: `/invite/${token}`, params: { token }, form: { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD } });
    expect(accepted.status).toBe(302);
    const nadia = await sessionCookie('nadia', NEW_PASSWORD);
    expect((await call(workspace.loader as RouteFn, { path: '/w/twsbp', params: { slug: 'twsbp' }, cookie: nadia })).status).toBe(200);
  });

  it('names the field of invalid input, keeps what was typed, and saves nothing', async () => {
    const bad = await call(access.action as RouteFn, {
      ...ACCESS,
      cookie: admin,
      form: { intent: 'inviteMember', inviteUsername: 'omar', inviteDisplayName: 'Omar', inviteEmail: 'not-an-email', inviteRole: 'Member' },
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as Answer;
    expect(Object.keys(body.fieldErrors ?? {})).toEqual(['inviteEmail']);
    expect(body.values).toMatchObject({ inviteUsername: 'omar', inviteEmail: 'not-an-email' });
    expect(await peopleNamed('omar')).toEqual([]);

    const taken = await call(access.action as RouteFn, { ...ACCESS, cookie: admin, form: { intent: 'inviteMember', inviteUsername: 'user', inviteRole: 'Member' } });
    expect(taken.status).toBe(409);
    expect(Object.keys(((await taken.json()) as Answer).fieldErrors ?? {})).toEqual(['inviteUsername']);
  });

  it('refuses a workspace Owner who is not a system Admin, and creates nobody', async () => {
    const user = await sessionCookie('user', USER_PASSWORD);
    const created = await call(newWorkspace.action as RouteFn, { path: '/workspaces/new', cookie: user, form: { name: 'Own Space', slug: 'own-space' } });
    expect(created.status).toBe(302);
    expect((await membersOf('own-space', user)).find((m) => m.username === 'user')).toMatchObject({ role: 'Owner' });

    const refused = await call(access.action as RouteFn, {
      path: '/w/own-space/settings/access',
      params: { slug: 'own-space' },
      cookie: user,
      form: { intent: 'inviteMember', inviteUsername: 'petra', inviteRole: 'Member' },
    });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as Answer;
    expect(body.problem).toMatchObject({
      error: 'forbidden',
      message: 'Inviting someone new needs a system Admin; ask an Admin to invite them, then add them here',
      details: { reason: 'not_system_admin' },
    });
    expect(await peopleNamed('petra')).toEqual([]);
    expect((await membersOf('own-space', user)).map((m) => m.username)).toEqual(['user']);
  });
});
