// Route-level tests: loaders and actions called with real Request objects against a started app
// (PGlite in a temporary folder) and the TDS emulator, the same way the Remix handler calls them.
import { rm, writeFile } from 'node:fs/promises';
import type { AppLoadContext } from '@remix-run/node';
import type { RunningApp } from '@studio/api';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as environments from '../app/routes/w.$slug.settings.environments._index';
import * as newEnvironment from '../app/routes/w.$slug.settings.environments.new';
import * as connection from '../app/routes/w.$slug.connections.$connectionId';
import * as consolePage from '../app/routes/w.$slug.console.$connectionId';
import * as editEnvironment from '../app/routes/w.$slug.settings.environments.$environmentId';
import * as signIn from '../app/routes/sign-in';
import * as signOut from '../app/routes/sign-out';
import * as tokens from '../app/routes/w.$slug.settings.tokens';
import * as audit from '../app/routes/w.$slug.settings.audit';
import * as workspace from '../app/routes/w.$slug';
import { callRoute, routeRequest, startRouteApp, type RouteApp, type RouteFn } from './support';

const ADMIN_PASSWORD = 'admin-route-password';
const USER_PASSWORD = 'user-route-password1';
const DB_PASSWORD = 'Route-Test-Passw0rd';
let stack: RouteApp;
let app: RunningApp;
let emulator: RunningEmulator;
let context: AppLoadContext;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: DB_PASSWORD }], databases: ['appdb'], preload: true });
  stack = await startRouteApp({ name: 'routes', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'route-test' });
  ({ app, context } = stack);
});

afterAll(async () => {
  await stack?.close();
  await emulator?.close();
});

function call(fn: RouteFn, args: Parameters<typeof routeRequest>[0] & { params?: Record<string, string> }): Promise<Response> {
  return callRoute(fn, context, routeRequest(args), args.params);
}

async function sessionCookie(username: string, password: string): Promise<string> {
  const response = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username, password, redirectTo: '/' } });
  expect(response.status).toBe(302);
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/^studio_session=\w+/);
  return cookie.split(';')[0]!;
}

const slug = { slug: 'twsbp' };

describe('sign-in and sessions', () => {
  it('refuses a wrong password with the API message, keeps the username and never echoes the password', async () => {
    const response = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username: 'admin', password: 'nope-nope-nope', redirectTo: '/' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    const body = (await response.json()) as { ok: boolean; problem: { error: string; message: string }; values: Record<string, string> };
    expect(body.ok).toBe(false);
    expect(body.problem.error).toBe('authentication_failed');
    expect(body.values).toEqual({ username: 'admin', redirectTo: '/' });
  });

  it('signs in with a session cookie and goes back where the user was, but never off-site', async () => {
    const response = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/w/twsbp/connections' } });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/w/twsbp/connections');
    expect(response.headers.get('set-cookie')).toMatch(/studio_session=\w+; .*HttpOnly/i);

    const offsite = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username: 'admin', password: ADMIN_PASSWORD, redirectTo: '//evil.example/' } });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('refuses every return path a browser could read as another site, or that breaks the Location header', async () => {
    // As the browser sends it: /%09/evil.example arrives decoded as "/\t/evil.example", which browsers read as
    // //evil.example. A control character cannot be a path at all: 400 naming the field, nobody signed in.
    const refused = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/\t/evil.example' } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await refused.json()).toMatchObject({ ok: false, problem: { error: 'invalid_input', details: { fields: [{ path: 'redirectTo' }] } } });
    const cookie = await sessionCookie('admin', ADMIN_PASSWORD);
    // Signed in, the sign-in page sends the browser on through the same rule.
    const hostile = ['/%09/evil.example', '/%0A/evil.example', '/%5Cevil.example', '/x%5Cy', '%5C%5Cevil.example', 'https://evil.example', 'javascript:alert(1)', '//evil.example', '%20/w/twsbp', '/w/tw%0Dsbp', '/w/%0D%0ASet-Cookie:x=1', '/w/twsbp%00', '/w/caf%C3%A9', '/%E2%80%A8'];
    for (const query of hostile) {
      const response = await call(signIn.loader as RouteFn, { path: `/sign-in?redirectTo=${query}`, cookie });
      expect(response.status, query).toBe(302);
      expect(response.headers.get('location'), query).toBe('/');
    }
    const inside = await call(signIn.loader as RouteFn, { path: `/sign-in?redirectTo=${encodeURIComponent('/w/twsbp/sql?x=%20y#top')}`, cookie });
    expect(inside.headers.get('location')).toBe('/w/twsbp/sql?x=%20y#top');
  });

  it('hints at the file of generated first passwords only while it exists, naming its folder by setting', async () => {
    // Chosen seed passwords: no file, no hint.
    const chosen = await call(signIn.loader as RouteFn, { path: '/sign-in' });
    expect(await chosen.json()).toMatchObject({ firstStart: false });
    const file = app.services.initialCredentialsFile;
    expect(file).toMatch(/initial-credentials\.txt$/);
    await writeFile(file!, 'admin: generated\n', { mode: 0o600 });
    try {
      const generated = await call(signIn.loader as RouteFn, { path: '/sign-in' });
      expect(await generated.json()).toMatchObject({ firstStart: true });
    } finally {
      await rm(file!);
    }
  });

  it('sends a visitor without a session to sign-in, remembering the page', async () => {
    const response = await call(workspace.loader as RouteFn, { path: '/w/twsbp/settings/audit?outcome=failure', params: slug });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/sign-in?redirectTo=${encodeURIComponent('/w/twsbp/settings/audit?outcome=failure')}`);
  });

  it('signs out: the session stops working and the cookie is cleared', async () => {
    const cookie = await sessionCookie('admin', ADMIN_PASSWORD);
    const out = await call(signOut.action as RouteFn, { path: '/sign-out', form: {}, cookie });
    expect(out.headers.get('location')).toBe('/sign-in');
    expect(out.headers.get('set-cookie')).toMatch(/studio_session=;/);
    const after = await call(workspace.loader as RouteFn, { path: '/w/twsbp', params: slug, cookie });
    expect(after.headers.get('location')).toMatch(/^\/sign-in/);
  });

  it('treats a cookie-carrying form post from another origin as signed out', async () => {
    const cookie = await sessionCookie('admin', ADMIN_PASSWORD);
    const response = await call(newEnvironment.action as RouteFn, {
      path: '/w/twsbp/settings/environments/new',
      params: slug,
      cookie,
      origin: 'http://evil.example',
      form: { intent: 'saveUntested', name: 'Forged', 'connection.host': '127.0.0.1', 'connection.database': 'x', 'connection.user': 'x' },
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^\/sign-in/);
  });
});

describe('workspace pages', () => {
  let admin: string;
  let member: string;

  beforeAll(async () => {
    admin = await sessionCookie('admin', ADMIN_PASSWORD);
    member = await sessionCookie('user', USER_PASSWORD);
  });

  it('loads the shell with the caller’s role, and answers 403 for a workspace they are not in', async () => {
    const ok = await call(workspace.loader as RouteFn, { path: '/w/twsbp', params: slug, cookie: member });
    expect(ok.status).toBe(200);
    const data = (await ok.json()) as { workspace: { slug: string; role: string }; user: { username: string } };
    expect(data.workspace).toMatchObject({ slug: 'twsbp', role: 'Member' });
    expect(data.user.username).toBe('user');

    const other = await call(workspace.loader as RouteFn, { path: '/w/elsewhere', params: { slug: 'elsewhere' }, cookie: member });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toBe('forbidden');
  });

  it('validates the environment form with the procedure’s schema: each bad field named, input kept, password dropped', async () => {
    const response = await call(newEnvironment.action as RouteFn, {
      path: '/w/twsbp/settings/environments/new',
      params: slug,
      cookie: admin,
      form: { intent: 'save', name: 'Broken', 'connection.host': 'not a host!', 'connection.port': 'abc', 'connection.database': 'appdb', 'connection.user': 'app', 'connection.password': 'secret-value' },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { problem: { error: string }; fieldErrors: Record<string, string>; values: Record<string, string> };
    expect(body.problem.error).toBe('invalid_input');
    expect(Object.keys(body.fieldErrors).sort()).toEqual(['connection.host', 'connection.port']);
    expect(body.values.name).toBe('Broken');
    expect(body.values['connection.port']).toBe('abc');
    expect(JSON.stringify(body)).not.toContain('secret-value');
  });

  it('refuses to save an environment whose login fails, with SQL Server’s 18456 and the steps, and saves nothing', async () => {
    const form = { intent: 'save', name: 'Refused', 'connection.host': '127.0.0.1', 'connection.port': String(emulator.port), 'connection.database': 'appdb', 'connection.user': 'app', 'connection.password': 'wrong-password' };
    const response = await call(newEnvironment.action as RouteFn, { path: '/w/twsbp/settings/environments/new', params: slug, cookie: admin, form });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { problem: { error: string; message: string; details: { error_code: string; reason: string; steps: { name: string; ok: boolean }[] } } };
    expect(body.problem.error).toBe('connection_operation_failed');
    expect(body.problem.details).toMatchObject({ error_code: '18456', reason: 'authentication_failed' });
    expect(body.problem.details.steps.find((s) => s.name === 'login')?.ok).toBe(false);

    const list = await call(environments.loader as RouteFn, { path: '/w/twsbp/settings/environments', params: slug, cookie: admin });
    const data = (await list.json()) as { environments: { name: string }[] };
    expect(data.environments.map((e) => e.name)).not.toContain('Refused');
  });

  it('saves a working environment after its test and lists it as healthy', async () => {
    const form = { intent: 'save', name: 'Reporting', 'connection.host': '127.0.0.1', 'connection.port': String(emulator.port), 'connection.database': 'appdb', 'connection.user': 'app', 'connection.password': DB_PASSWORD };
    const response = await call(newEnvironment.action as RouteFn, { path: '/w/twsbp/settings/environments/new', params: slug, cookie: admin, form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; value: { test: { steps: { name: string; ok: boolean }[] } } };
    expect(body.ok).toBe(true);
    expect(body.value.test.steps.filter((s) => !s.ok)).toEqual([]);
    const list = await call(environments.loader as RouteFn, { path: '/w/twsbp/settings/environments', params: slug, cookie: admin });
    const data = (await list.json()) as { canEdit: boolean; environments: { name: string; connection: { status: string } | null }[] };
    expect(data.canEdit).toBe(true);
    expect(data.environments.find((e) => e.name === 'Reporting')?.connection?.status).toBe('healthy');
  });

  it('keeps the stored password when the edit form leaves it blank, and refuses a wrong one without changing anything', async () => {
    const list = (await (await call(environments.loader as RouteFn, { path: '/w/twsbp/settings/environments', params: slug, cookie: admin })).json()) as { environments: { id: string; name: string }[] };
    const environmentId = list.environments.find((e) => e.name === 'Reporting')!.id;
    const params = { ...slug, environmentId };
    const path = `/w/twsbp/settings/environments/${environmentId}`;
    const fields = { name: 'Reporting', 'connection.host': '127.0.0.1', 'connection.port': String(emulator.port), 'connection.database': 'appdb', 'connection.user': 'app', 'connection.options.poolSize': '3' };

    const kept = await call(editEnvironment.action as RouteFn, { path, params, cookie: admin, form: { intent: 'save', ...fields, 'connection.password': '' } });
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { ok: boolean; value: { test: unknown } }).value.test).not.toBeNull();

    const wrong = await call(editEnvironment.action as RouteFn, { path, params, cookie: admin, form: { intent: 'save', ...fields, 'connection.options.poolSize': '7', 'connection.password': 'not-it' } });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { problem: { details: { error_code: string } } }).problem.details.error_code).toBe('18456');

    const page = (await (await call(editEnvironment.loader as RouteFn, { path, params, cookie: admin })).json()) as { environment: { connection: { hasPassword: boolean; status: string; options: { poolSize?: number } } } };
    expect(page.environment.connection).toMatchObject({ hasPassword: true, status: 'healthy', options: { poolSize: 3 } });
  });

  it('shows a member the environments they can use, without settings, and forbids the settings form', async () => {
    const list = await call(environments.loader as RouteFn, { path: '/w/twsbp/settings/environments', params: slug, cookie: member });
    expect(list.status).toBe(200);
    const data = (await list.json()) as { canEdit: boolean; environments: { name: string; connection: unknown }[] };
    expect(data.canEdit).toBe(false);
    expect(data.environments.map((e) => e.name)).toContain('Reporting');
    expect(data.environments.every((e) => e.connection === null)).toBe(true);

    const form = await call(newEnvironment.loader as RouteFn, { path: '/w/twsbp/settings/environments/new', params: slug, cookie: member });
    expect(form.status).toBe(403);
  });

  it('opens SQL handed over by a link in the console without running it, even with run=1', async () => {
    const connections = await app.services.connections.list((await app.services.workspaces.find({ workspaceSlug: 'twsbp' }))!.id, { limit: 50 }, { revealUser: false });
    const connectionId = connections.items[0]!.id;
    const load = async (query: string) =>
      (await (await call(consolePage.loader as RouteFn, { path: `/w/twsbp/console/${connectionId}?${query}`, params: { ...slug, connectionId }, cookie: admin })).json()) as { initialSql: string; autoRun: boolean };
    expect(await load(`sql=${encodeURIComponent('SELECT 1 AS one')}&run=1`)).toMatchObject({ initialSql: 'SELECT 1 AS one', autoRun: false });
  });

  it('lets a member without a grant see a connection but not test or reset it; a manager resets its pool', async () => {
    // An Owner may save without testing; the second environment is not the default, so members need a grant.
    const archived = await call(newEnvironment.action as RouteFn, {
      path: '/w/twsbp/settings/environments/new',
      params: slug,
      cookie: admin,
      form: { intent: 'saveUntested', name: 'Archive', 'connection.host': '127.0.0.1', 'connection.port': String(emulator.port), 'connection.database': 'appdb', 'connection.user': 'app', 'connection.password': DB_PASSWORD, 'connection.options.poolSize': '2' },
    });
    expect(((await archived.json()) as { ok: boolean; message: string }).message).toBe('Environment “Archive” saved without testing');
    const connections = await app.services.connections.list((await app.services.workspaces.find({ workspaceSlug: 'twsbp' }))!.id, { limit: 50 }, { revealUser: false });
    const connectionId = connections.items.find((c) => c.name === 'Archive (environment)')!.id;
    const params = { ...slug, connectionId };
    const path = `/w/twsbp/connections/${connectionId}`;

    const seen = (await (await call(connection.loader as RouteFn, { path, params, cookie: member })).json()) as {
      permissions: { canUse: boolean; canManage: boolean; can: Record<string, { allowed: boolean; reason: string | null }> };
      connection: { user: string | null };
    };
    expect({ canUse: seen.permissions.canUse, canManage: seen.permissions.canManage }).toEqual({ canUse: false, canManage: false });
    // The page disables Test and Reset pool with the sentence it is given, which names the connection.
    expect(seen.permissions.can['connection.test']).toEqual({ allowed: false, reason: 'Testing a connection needs use access to Archive (environment); ask an Owner or Admin' });
    expect(seen.permissions.can['connection.reset']).toEqual({ allowed: false, reason: 'Resetting a connection pool needs manage access to Archive (environment); ask an Owner or Admin' });
    expect(seen.connection.user).toBeNull();
    const refused = await call(connection.action as RouteFn, { path, params, cookie: member, form: { intent: 'test' } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { problem: { error: string } }).problem.error).toBe('forbidden');

    const reset = await call(connection.action as RouteFn, { path, params, cookie: admin, form: { intent: 'reset' } });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { ok: boolean; message: string }).message).toBe('The pool was drained and a new one opened');
    const after = (await (await call(connection.loader as RouteFn, { path, params, cookie: admin })).json()) as { status: { pool: { size: number; poolSize: number } | null } };
    expect(after.status.pool?.size).toBeGreaterThanOrEqual(1);
    expect(after.status.pool?.poolSize).toBe(2);
  });

  it('creates an API token whose secret is answered once and never listed', async () => {
    const created = await call(tokens.action as RouteFn, { path: '/w/twsbp/settings/tokens', params: slug, cookie: admin, form: { intent: 'create', name: 'route-test', role: 'Viewer' } });
    const body = (await created.json()) as { ok: boolean; value: { token: string } };
    expect(body.value.token).toMatch(/^wss_/);
    const list = await call(tokens.loader as RouteFn, { path: '/w/twsbp/settings/tokens', params: slug, cookie: admin });
    const text = await list.text();
    expect(text).toContain('route-test');
    expect(text).not.toContain(body.value.token);

    const refused = await call(tokens.action as RouteFn, { path: '/w/twsbp/settings/tokens', params: slug, cookie: admin, form: { intent: 'create', name: '', role: 'Viewer' } });
    expect(refused.status).toBe(400);
    expect(Object.keys(((await refused.json()) as { fieldErrors: Record<string, string> }).fieldErrors)).toEqual(['name']);
  });

  it('filters the audit log by outcome and pages through it', async () => {
    const failures = await call(audit.loader as RouteFn, { path: '/w/twsbp/settings/audit?outcome=failure', params: slug, cookie: admin });
    const data = (await failures.json()) as { entries: { action: string; outcome: string }[]; nextCursor: string | null };
    expect(data.entries.length).toBeGreaterThan(0);
    expect(data.entries.every((e) => e.outcome === 'failure')).toBe(true);
    expect(data.entries.map((e) => e.action)).toContain('environment.create');

    const all = (await (await call(audit.loader as RouteFn, { path: '/w/twsbp/settings/audit', params: slug, cookie: admin })).json()) as { entries: { id: string }[] };
    expect(all.entries.length).toBeGreaterThan(2);
    const second = all.entries[1]!;
    const paged = (await (await call(audit.loader as RouteFn, { path: `/w/twsbp/settings/audit?cursor=${all.entries[0]!.id}`, params: slug, cookie: admin })).json()) as { entries: { id: string }[]; paged: boolean };
    expect(paged.paged).toBe(true);
    expect(paged.entries[0]?.id).toBe(second.id);

    const forbidden = await call(audit.loader as RouteFn, { path: '/w/twsbp/settings/audit', params: slug, cookie: member });
    expect(forbidden.status).toBe(403);
  });
});
