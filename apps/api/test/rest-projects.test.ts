// Import projects over REST with an API token: the whole life of a project under
// /api/v1/workspaces/{slug}/projects, and its refusals in the F10 shape.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

describe.each(testTargets)('REST projects on $name', (target) => {
  let test: TestApp;
  let token: string;
  const base = '/api/v1/workspaces/twsbp/projects';

  async function rest(method: string, path: string, body?: unknown, as: string = token) {
    const response = await fetch(`${test.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    test = await startTestApp(target);
    token = await test.token('Admin');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('creates, lists, reads, updates and deletes a project', async () => {
    const connection = await rest('POST', '/api/v1/workspaces/twsbp/connections', { name: 'rest-project-target', type: 'mysql', host: '10.0.0.9', port: 3306, database: 'shop', user: 'loader', password: 'rest-project-secret' });
    expect(connection.status).toBe(200);
    const created = await rest('POST', base, { name: 'rest-imports', connectionId: connection.body.id, config: { defaults: { primary_key: ['id', 'region'] } } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'rest-imports', connection: { name: 'rest-project-target', type: 'mysql' }, config: { defaults: { file_pattern: '*.csv', primary_key: ['id', 'region'] }, csv: { delimiter: ',' } } });
    expect(JSON.stringify(created.body)).not.toContain('rest-project-secret');
    const id = created.body.id as string;

    const list = await rest('GET', `${base}?limit=10`);
    expect(list.status).toBe(200);
    expect((list.body.items as { id: string }[]).map((item) => item.id)).toContain(id);

    const patched = await rest('PATCH', `${base}/${id}`, { connectionId: null, description: 'paused' });
    expect(patched.body).toMatchObject({ id, connectionId: null, connection: null, description: 'paused' });
    expect((await rest('GET', `${base}/${id}`)).body).toMatchObject({ id, connectionId: null });

    expect(await rest('DELETE', `${base}/${id}`)).toEqual({ status: 200, body: { id, deleted: true } });
    expect(await rest('GET', `${base}/${id}`)).toMatchObject({ status: 404, body: { error: 'project_not_found', details: { field: 'projectId' } } });
  });

  it('refuses bad input with 400 naming the field, and a Viewer token with 403', async () => {
    const bad = await rest('POST', base, { name: '', config: { csv: { quote: '' } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_input' });
    expect((bad.body.details as { fields: { path: string }[] }).fields.map((f) => f.path).sort()).toEqual(['config.csv.quote', 'name']);
    const viewer = await test.token('Viewer');
    expect(await rest('POST', base, { name: 'not-mine' }, viewer)).toMatchObject({ status: 403, body: { error: 'forbidden', details: { action: 'project.manage' } } });
    expect((await rest('GET', base, undefined, viewer)).status).toBe(200);
  });
});
