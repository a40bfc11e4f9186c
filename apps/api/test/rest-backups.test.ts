// Backups over REST for operators' tooling: documented in OpenAPI, system Admins only, and the
// file endpoint answers the backup itself.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

describe.each(testTargets)('backups over REST on $name', (target) => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp(target);
  });
  afterAll(async () => {
    await test?.close();
  });

  const signIn = async (username: string, password: string) => {
    const response = await fetch(`${test.app.url}/trpc/auth.signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ json: { username, password } }) });
    expect(response.status).toBe(200);
    return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  };

  it('documents the backup operations', async () => {
    const document = (await (await fetch(`${test.app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(document.paths['/api/v1/backups']).toHaveProperty('get');
    expect(document.paths['/api/v1/backups']).toHaveProperty('post');
    expect(document.paths['/api/v1/backups/{backupId}']).toHaveProperty('get');
    expect(document.paths['/api/v1/backups/{backupId}/file']).toHaveProperty('get');
  });

  it('takes, lists and serves a backup for an Admin; refuses a User and a token', async () => {
    const cookie = await signIn('admin', 'http-app-admin-password');
    const created = await fetch(`${test.app.url}/api/v1/backups`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(200);
    const run = (await created.json()) as { id: string; outcome: string; bytes: number; fileName: string; startedAt: string };
    expect(run).toMatchObject({ outcome: 'success' });
    expect(run.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const list = (await (await fetch(`${test.app.url}/api/v1/backups`, { headers: { cookie } })).json()) as { items: { id: string }[] };
    expect(list.items.map((item) => item.id)).toContain(run.id);
    const file = await fetch(`${test.app.url}/api/v1/backups/${run.id}/file`, { headers: { cookie } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${run.fileName}"`);
    expect((await file.arrayBuffer()).byteLength).toBe(run.bytes);
    const missing = await fetch(`${test.app.url}/api/v1/backups/00000000-0000-4000-8000-000000000000/file`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });

    const metrics = await (await fetch(`${test.app.url}/metrics`)).text();
    const stamp = Number(/^studio_backup_last_success_timestamp (\S+)$/m.exec(metrics)?.[1]);
    expect(stamp).toBeGreaterThanOrEqual(Math.floor(Date.parse(run.startedAt) / 1000));

    const user = await signIn('user', 'http-app-user-password');
    expect((await fetch(`${test.app.url}/api/v1/backups`, { headers: { cookie: user } })).status).toBe(403);
    const token = await test.token('Owner');
    const byToken = await fetch(`${test.app.url}/api/v1/backups`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(byToken.status).toBe(403);
    expect(await byToken.json()).toMatchObject({ error: 'forbidden' });
  });
});
