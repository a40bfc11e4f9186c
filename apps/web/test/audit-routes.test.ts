// The Audit log page and its CSV export through their loaders with real Requests: an inverted
// range is an error at "To"; targets read as names; the export is the filtered view (prefix
// filter included) as CSV, formulas made inert.
import { auditLog } from '@studio/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as audit from '../app/routes/w.$slug.settings.audit';
import * as auditExport from '../app/routes/w.$slug.settings.audit_.export';
import * as signIn from '../app/routes/sign-in';
import { callRoute, routeRequest, startRouteApp, type RouteApp, type RouteFn } from './support';

const ADMIN_PASSWORD = 'admin-audit-route-pass';
const PATH = '/w/twsbp/settings/audit';
let stack: RouteApp;
let cookie: string;

beforeAll(async () => {
  stack = await startRouteApp({ name: 'audit', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: 'user-audit-route-pass1' }, userAgent: 'route-test' });
  const { services } = stack.app;
  const workspace = await services.workspaces.find({ workspaceSlug: 'twsbp' });
  const connection = await services.connections.create(workspace!.id, { name: 'Orders DB', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'orders', user: 'sa', password: 'pw-123456' }, null);
  await services.db.insert(auditLog).values([
    { workspaceId: workspace!.id, action: 'procedure.publish', targetType: 'connection', targetId: connection.id, outcome: 'success', details: { note: '=HYPERLINK("x")' } },
    { workspaceId: workspace!.id, action: 'procedure.create', outcome: 'success' },
    { workspaceId: workspace!.id, action: 'connection.create', targetType: 'connection', targetId: connection.id, outcome: 'success' },
  ]);
  const response = await callRoute(signIn.action as RouteFn, stack.context, routeRequest({ path: '/sign-in', form: { username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/' } }));
  cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const get = (fn: RouteFn, path: string) => callRoute(fn, stack.context, routeRequest({ path, cookie }), { slug: 'twsbp' });

describe('audit log page', () => {
  it('an inverted range is an error at "To", not an empty page', async () => {
    const response = await get(audit.loader as RouteFn, `${PATH}?from=2026-02-01&to=2026-01-01`);
    expect(response.status).toBe(200);
    const data = (await response.json()) as { entries: unknown[]; fieldErrors: Record<string, string> };
    expect(data.fieldErrors.to).toMatch(/inverted/);
    expect(data.entries).toEqual([]);
  });

  it('filters by an action prefix and shows the target by name', async () => {
    const data = (await (await get(audit.loader as RouteFn, `${PATH}?action=procedure`)).json()) as { entries: { action: string; targetName: string | null }[] };
    expect(data.entries.map((e) => e.action).sort()).toEqual(['procedure.create', 'procedure.publish']);
    expect(data.entries.find((e) => e.action === 'procedure.publish')?.targetName).toBe('Orders DB');
  });
});

describe('audit CSV export', () => {
  it('is the filtered view as CSV with names, and formulas made inert', async () => {
    const response = await get(auditExport.loader as RouteFn, `${PATH}/export?action=procedure&cursor=ignored`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-twsbp-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('When (UTC),Who,IP,Action,Target type,Target,Target id,Outcome,Details');
    expect(lines).toHaveLength(3);
    const publish = lines.find((l) => l.includes('procedure.publish'));
    expect(publish).toContain(',connection,Orders DB,');
    // The details cell starts with "{", so no guard needed there; a cell starting with "=" would get one.
    expect(publish).toContain('"{""note"":""=HYPERLINK(\\""x\\"")""}"');
    expect(lines.some((l) => l.includes('connection.create'))).toBe(false);
  });

  it('an inverted range is refused with a sentence, not a file', async () => {
    const response = await get(auditExport.loader as RouteFn, `${PATH}/export?from=2026-02-01&to=2026-01-01`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-disposition')).toBeNull();
    expect(await response.text()).toMatch(/^Export refused: to: .*inverted/);
  });
});
