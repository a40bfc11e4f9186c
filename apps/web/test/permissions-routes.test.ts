// What the pages are told a person may do, through their loaders with real Requests: the workspace
// layout's verdicts (every page reads them), the roles an Admin may give, and the SQL editor list's
// Create. The sentences come from the API; the pages only show them.
import { describe, expect, it } from 'vitest';
import * as sqlList from '../app/routes/w.$slug.sql._index';
import * as workspace from '../app/routes/w.$slug';
import { type RouteFn, routeTestApp } from './support';

const ADMIN_PASSWORD = 'admin-permission-routes';
const USER_PASSWORD = 'user-permission-routes';
const { call, sessionCookie } = routeTestApp({ name: 'permissions', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'permission-route-test' });

type Verdict = { allowed: boolean; reason: string | null };
type Layout = { workspace: { role: string; can: Record<string, Verdict>; canGiveRole: { member: Record<string, Verdict>; token: Record<string, Verdict> } } };

describe('what the pages are told a person may do', () => {
  it('tells a Member which settings are not theirs, and why, in the layout every page reads', async () => {
    const member = await sessionCookie('user', USER_PASSWORD);
    const layout = (await (await call(workspace.loader as RouteFn, { path: '/w/twsbp', cookie: member, params: { slug: 'twsbp' } })).json()) as Layout;
    expect(layout.workspace.role).toBe('Member');
    expect(layout.workspace.can['migration.apply']).toEqual({ allowed: false, reason: 'Applying or rolling back migrations needs the Owner or Admin role; ask an Owner or Admin of this workspace' });
    expect(layout.workspace.can['connection.create']).toEqual({ allowed: false, reason: 'Adding connections needs the Owner or Admin role; ask an Owner or Admin of this workspace' });
    expect(layout.workspace.can['environment.manage']).toEqual({ allowed: false, reason: 'Changing environments needs the Owner or Admin role; ask an Owner or Admin of this workspace' });
    expect(layout.workspace.can['console.saveQuery']).toEqual({ allowed: true, reason: null });
    // No sentence in the page data is the old "You are not allowed to procedure publish".
    expect(JSON.stringify(layout)).not.toMatch(/not allowed to/);
  });

  it('tells the Owner everything is open, and a Member without a default environment why Create is off', async () => {
    const admin = await sessionCookie('admin', ADMIN_PASSWORD);
    const layout = (await (await call(workspace.loader as RouteFn, { path: '/w/twsbp', cookie: admin, params: { slug: 'twsbp' } })).json()) as Layout;
    expect(layout.workspace.role).toBe('Owner');
    expect(Object.values(layout.workspace.can).filter((verdict) => !verdict.allowed)).toEqual([]);
    expect(Object.values(layout.workspace.canGiveRole.member).every((verdict) => verdict.allowed)).toBe(true);

    const ownerList = (await (await call(sqlList.loader as RouteFn, { path: '/w/twsbp/sql', cookie: admin, params: { slug: 'twsbp' } })).json()) as { canDraft: Verdict };
    expect(ownerList.canDraft).toEqual({ allowed: true, reason: null });
    // The seeded workspace has no environment: a Member has no connection to draft against.
    const member = await sessionCookie('user', USER_PASSWORD);
    const memberList = (await (await call(sqlList.loader as RouteFn, { path: '/w/twsbp/sql', cookie: member, params: { slug: 'twsbp' } })).json()) as { canDraft: Verdict };
    expect(memberList.canDraft).toEqual({ allowed: false, reason: 'Editing procedures needs a default environment you may use; ask an Owner or Admin' });
  });
});
