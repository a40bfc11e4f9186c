// A page of the web UI after warm-up costs at most two system-database round trips: its loaders
// (the workspace shell's and the page's, run together as Remix runs them) call the router
// in-process, and who the person is, the workspace and their role come from the per-instance cache
// (decision 015). Counted at the driver, as apps/api/test/list-round-trips.test.ts does.
import type { AppLoadContext } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements, type StatementCounter } from '../../api/test/support/statement-counter';
import * as connections from '../app/routes/w.$slug.connections._index';
import * as overview from '../app/routes/w.$slug._index';
import * as shell from '../app/routes/w.$slug';
import * as signIn from '../app/routes/sign-in';
import { callRoute, routeRequest, startRouteApp, type RouteApp, type RouteFn } from './support';

const ADMIN_PASSWORD = 'admin-round-trip-password';
const USER_PASSWORD = 'user-round-trip-password1';
let stack: RouteApp;
let context: AppLoadContext;
let statements: StatementCounter;
let cookie: string;

beforeAll(async () => {
  stack = await startRouteApp({ name: 'round-trips', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'round-trip-test' });
  context = stack.context;
  statements = countStatements(stack.app.database);
  const response = await callRoute(signIn.action as RouteFn, context, routeRequest({ path: '/sign-in', form: { username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/' } }));
  expect(response.status).toBe(302);
  cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  const workspace = await stack.app.services.workspaces.find({ workspaceSlug: 'twsbp' });
  await stack.app.services.connections.create(workspace!.id, { name: 'warehouse', type: 'postgres', host: '10.1.2.3', port: 5432, database: 'dw', user: 'reader', password: 'pw' }, null);
});

afterAll(async () => {
  await stack?.close();
});

/** One page load: the shell's loader and the page's, concurrently, as Remix runs a document request. */
async function loadPage(page: RouteFn, path: string): Promise<{ statuses: number[]; shell: { workspace: { slug: string; role: string }; workspaces: unknown[] }; page: { connections: { name: string }[] } }> {
  const params = { slug: 'twsbp' };
  const responses = await Promise.all([shell.loader as RouteFn, page].map((loader) => callRoute(loader, context, routeRequest({ path, cookie }), params)));
  const [frame, body] = (await Promise.all(responses.map((response) => response.clone().json()))) as [never, never];
  return { statuses: responses.map((response) => response.status), shell: frame, page: body };
}

describe('system-database round trips of a web page after warm-up', () => {
  it.each([
    ['overview', overview.loader as RouteFn, '/w/twsbp'],
    ['connections', connections.loader as RouteFn, '/w/twsbp/connections'],
  ])('%s: at most two', async (_name, page, path) => {
    const first = await loadPage(page, path);
    expect(first.statuses).toEqual([200, 200]);
    statements.reset();
    const warm = await loadPage(page, path);
    expect(statements.count).toBeLessThanOrEqual(2);
    // The same page as the first time: the frame (workspace, role, switcher) and the page's rows.
    expect(warm.statuses).toEqual([200, 200]);
    expect(warm.shell.workspace).toMatchObject({ slug: 'twsbp', role: 'Owner' });
    expect(warm.shell.workspaces.length).toBeGreaterThan(0);
    expect(warm.page.connections.length).toBeGreaterThan(0);
    expect(warm).toEqual(first);
  });
});
