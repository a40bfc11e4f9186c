// The Migrations page (F5) through its loader and action with real Requests, against a started
// app (PGlite in a temporary folder) and the TDS emulator: status, dry run, apply, rollback,
// apply-all for the system Admin, and a Member who reads but cannot run.
import type { AppLoadContext } from '@remix-run/node';
import type { RunningApp } from '@studio/api';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as migrations from '../app/routes/w.$slug.settings.migrations';
import * as signIn from '../app/routes/sign-in';
import { callRoute, routeRequest, startRouteApp, type RouteApp, type RouteFn } from './support';

const ADMIN_PASSWORD = 'admin-migrations-pass';
const USER_PASSWORD = 'user-migrations-pass1';
const DB_PASSWORD = 'Migrations-Route-Passw0rd';
const PATH = '/w/twsbp/settings/migrations';

let stack: RouteApp;
let app: RunningApp;
let emulator: RunningEmulator;
let context: AppLoadContext;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: DB_PASSWORD }], databases: ['appdb'], preload: true });
  stack = await startRouteApp({ name: 'migrations', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'route-test' });
  ({ app, context } = stack);
  // An environment that opted out of auto-migrate, so the page starts from a fresh database.
  const workspace = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
  const plan = await app.services.environments.prepareSave(workspace!.id, null, {
    name: 'Production',
    autoMigrate: false,
    connection: { host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: DB_PASSWORD },
  });
  await app.services.environments.commitSave(plan, null, null);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await emulator?.close();
});

function call(fn: RouteFn, { form, cookie }: { form?: Record<string, string>; cookie: string }): Promise<Response> {
  return callRoute(fn, context, routeRequest({ path: PATH, form, cookie }), { slug: 'twsbp' });
}

async function sessionCookie(username: string, password: string): Promise<string> {
  const response = await callRoute(signIn.action as RouteFn, context, routeRequest({ path: '/sign-in', form: { username, password, redirectTo: '/' } }));
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

interface LoaderData {
  status: { status: string; currentVersion: number | null; latestVersion: number; pending: { version: number }[]; environmentId: string } | null;
  canApplyAll: boolean;
}
interface ActionData {
  ok: boolean;
  message?: string;
  value?: { script?: string; runs?: { workspaceSlug: string; outcome: string }[] };
  problem?: { error: string };
}

describe('Migrations page', () => {
  it('shows the status, dry-runs, applies and rolls back for an Owner who is a system Admin', async () => {
    const admin = await sessionCookie('admin', ADMIN_PASSWORD);
    const first = (await (await call(migrations.loader as RouteFn, { cookie: admin })).json()) as LoaderData;
    expect(first.canApplyAll).toBe(true);
    expect(first.status).toMatchObject({ status: 'uninitialised', currentVersion: null, latestVersion: 2, pending: [{ version: 1 }, { version: 2 }] });
    const environmentId = first.status!.environmentId;

    const dry = (await (await call(migrations.action as RouteFn, { cookie: admin, form: { intent: 'dryRunUp', environmentId } })).json()) as ActionData;
    expect(dry).toMatchObject({ ok: true, message: expect.stringContaining('nothing changed') });
    expect(dry.value?.script).toContain('CREATE TABLE dbo.studio_workspace_info');

    const applied = (await (await call(migrations.action as RouteFn, { cookie: admin, form: { intent: 'migrate', environmentId } })).json()) as ActionData;
    expect(applied).toMatchObject({ ok: true, message: 'Applied V1, V2: version none → 2' });
    const rolledBack = (await (await call(migrations.action as RouteFn, { cookie: admin, form: { intent: 'rollback', environmentId } })).json()) as ActionData;
    expect(rolledBack).toMatchObject({ ok: true, message: 'Rolled back V2: version 2 → 1' });
    const after = (await (await call(migrations.loader as RouteFn, { cookie: admin })).json()) as LoaderData;
    expect(after.status).toMatchObject({ status: 'needs_migration', currentVersion: 1, pending: [{ version: 2 }] });

    const all = (await (await call(migrations.action as RouteFn, { cookie: admin, form: { intent: 'applyAll', concurrency: '2' } })).json()) as ActionData;
    expect(all).toMatchObject({ ok: true, message: expect.stringContaining('1 ok, 0 failed') });
    expect(all.value?.runs).toEqual([expect.objectContaining({ workspaceSlug: 'twsbp', outcome: 'applied' })]);
  });

  it('a Member reads the status but cannot run migrations or apply-all', async () => {
    const member = await sessionCookie('user', USER_PASSWORD);
    const data = (await (await call(migrations.loader as RouteFn, { cookie: member })).json()) as LoaderData;
    expect(data.canApplyAll).toBe(false);
    expect(data.status).toMatchObject({ status: 'current', currentVersion: 2 });
    const refused = await call(migrations.action as RouteFn, { cookie: member, form: { intent: 'migrate', environmentId: data.status!.environmentId } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ActionData).problem).toMatchObject({ error: 'forbidden' });
    const allRefused = await call(migrations.action as RouteFn, { cookie: member, form: { intent: 'applyAll' } });
    expect(allRefused.status).toBe(403);
  });
});
