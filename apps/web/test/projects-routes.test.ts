// The Imports pages through their loaders and actions against a started app: create a project
// with its CSV settings (refusals land on the field at fault), see it listed, its page says why an
// import is not possible yet; and the browser-side preview reads a file as the project does.
import { describe, expect, it } from 'vitest';
import { previewRows } from '../app/components/import-panel';
import * as project from '../app/routes/w.$slug.projects.$projectId';
import * as projects from '../app/routes/w.$slug.projects._index';
import { type RouteFn, routeTestApp } from './support';

const ADMIN_PASSWORD = 'admin-projects-routes-pw';
const { call, sessionCookie } = routeTestApp({ name: 'projects', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: 'user-projects-routes-pw' }, userAgent: 'projects-route-test' });

const settings = {
  'config.csv.delimiter': ';',
  'config.csv.quote': '"',
  'config.csv.encoding': 'latin1',
  'config.csv.header': 'on',
  'config.csv.empty_is_null': 'on',
  'config.csv.null_markers': 'NULL, \\N',
  'config.csv.date_format': 'DD.MM.YYYY',
  'config.csv.time_format': 'HH:mm',
  'config.csv.timestamp_format': 'DD.MM.YYYY HH:mm',
  'config.defaults.file_pattern': '*.csv',
  'config.defaults.primary_key': 'id, region',
  'config.mappings': '[{ "file_pattern": "orders_*.csv", "table": "sales.orders", "columns": { "Order ID": "id" } }]',
};

describe('Imports pages', () => {
  it('creates a project from the form and lists it; its page explains that importing needs a connection', async () => {
    const admin = await sessionCookie('admin', ADMIN_PASSWORD);
    const created = await call(projects.action as RouteFn, { path: '/w/twsbp/projects', cookie: admin, params: { slug: 'twsbp' }, form: { name: 'route-project', connectionId: '', ...settings } });
    expect(created.status).toBe(302);
    const projectId = (created.headers.get('location') ?? '').split('/').at(-1)!;
    const listed = (await (await call(projects.loader as RouteFn, { path: '/w/twsbp/projects', cookie: admin, params: { slug: 'twsbp' } })).json()) as { projects: { id: string; name: string; connection: unknown; mappings: number }[] };
    expect(listed.projects).toEqual([expect.objectContaining({ id: projectId, name: 'route-project', connection: null, mappings: 1 })]);

    const page = (await (await call(project.loader as RouteFn, { path: `/w/twsbp/projects/${projectId}`, cookie: admin, params: { slug: 'twsbp', projectId } })).json()) as {
      project: { config: { csv: Record<string, unknown>; defaults: Record<string, unknown> } };
      canImport: { allowed: boolean; reason: string | null };
    };
    expect(page.project.config.csv).toMatchObject({ delimiter: ';', encoding: 'latin1', header: true, null_markers: ['', 'NULL', '\\N'], date_format: 'DD.MM.YYYY' });
    expect(page.project.config.defaults).toEqual({ file_pattern: '*.csv', primary_key: ['id', 'region'] });
    expect(page.canImport).toEqual({ allowed: false, reason: expect.stringContaining('no connection') });
  });

  it('puts a refusal on the field at fault and keeps what was typed', async () => {
    const admin = await sessionCookie('admin', ADMIN_PASSWORD);
    const refused = await call(projects.action as RouteFn, { path: '/w/twsbp/projects', cookie: admin, params: { slug: 'twsbp' }, form: { name: 'bad-project', ...settings, 'config.csv.quote': "''", 'config.mappings': '[{ "table": "x" }]' } });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { ok: false; fieldErrors: Record<string, string>; values: Record<string, string> };
    expect(Object.keys(body.fieldErrors)).toEqual(expect.arrayContaining(['config.csv.quote', 'config.mappings.0.file_pattern']));
    expect(body.values.name).toBe('bad-project');
  });
});

describe('import preview', () => {
  it('reads the first rows as the project does: quotes, embedded newlines, empty vs NULL, at most 20 rows', () => {
    const csv = { delimiter: ',', quote: '"', encoding: 'utf-8' as const, header: true, null_markers: [''], date_format: 'YYYY-MM-DD', time_format: 'HH:mm:ss', timestamp_format: 'YYYY-MM-DD HH:mm:ss' };
    const text = `\uFEFFid,name,note\r\n1,"Smith, Jane","two\nlines"\r\n2,,""\r\n${Array.from({ length: 30 }, (_, i) => `${i + 3},n,x`).join('\r\n')}\r\n`;
    const rows = previewRows(text, csv);
    expect(rows.slice(0, 3)).toEqual([
      ['id', 'name', 'note'],
      ['1', 'Smith, Jane', 'two\nlines'],
      ['2', null, ''],
    ]);
    expect(rows).toHaveLength(21);
  });
});
