// Imports over REST with an API token, against the machine's PostgreSQL: the file as the raw body
// (text/csv, streamed, fields in the query string) or as multipart/form-data, the status, the
// rejects as a CSV download, cancel, and refusals in the F10 shape with their HTTP status.
import { randomBytes } from 'node:crypto';
import { testTargets } from '@studio/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const pgUrl = process.env.PG_URL;
if (!pgUrl && process.env.CI === 'true') throw new Error('PG_URL not set: CI must provide PostgreSQL for the import tests');

describe.runIf(pgUrl).each(testTargets)('REST imports on $name', (target) => {
  let test: TestApp;
  let token: string;
  let admin: pg.Pool;
  let projectId: string;
  const schema = `rest_imp_${randomBytes(4).toString('hex')}`;
  const base = () => `/api/v1/workspaces/twsbp/projects/${projectId}/imports`;

  async function call(method: string, path: string, init: { body?: RequestInit['body']; contentType?: string } = {}) {
    const response = await fetch(`${test.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(init.contentType ? { 'content-type': init.contentType } : {}) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return response;
  }

  async function settled(importId: string) {
    for (let i = 0; i < 200; i++) {
      const body = (await (await call('GET', `${base()}/${importId}`)).json()) as { outcome: string };
      if (body.outcome !== 'running') return body as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the import did not finish');
  }

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.orders (id integer PRIMARY KEY, customer varchar(40) NOT NULL, total numeric(10,2))`);
    test = await startTestApp(target);
    token = await test.token('Admin');
    const u = new URL(pgUrl!);
    const connection = (await (
      await call('POST', '/api/v1/workspaces/twsbp/connections', {
        contentType: 'application/json',
        body: JSON.stringify({ name: `rest-imports-${schema}`, type: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }),
      })
    ).json()) as { id: string };
    const project = (await (await call('POST', '/api/v1/workspaces/twsbp/projects', { contentType: 'application/json', body: JSON.stringify({ name: `orders-${schema}`, connectionId: connection.id, config: { mappings: [{ file_pattern: 'orders*.csv', table: `${schema}.orders` }] } }) })).json()) as { id: string };
    projectId = project.id;
  });

  afterAll(async () => {
    await test?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  it('imports a raw text/csv body streamed from the client, answers with the run, and serves its status', async () => {
    const lines = ['id,customer,total', ...Array.from({ length: 2_000 }, (_, i) => `${i + 1},"Customer, ${i + 1}",${i}.25`)];
    const chunks = lines.map((line) => new TextEncoder().encode(`${line}\r\n`));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const response = await fetch(`${test.app.url}${base()}?table=${schema}.orders&errorPolicy=skip&maxRejects=5&fileName=orders-upload.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    const started = (await response.json()) as Record<string, unknown>;
    expect(started).toMatchObject({ fileName: 'orders-upload.csv', table: `${schema}.orders`, mode: 'insert', errorPolicy: 'skip', maxRejects: 5, startedBy: expect.stringMatching(/^token:/) });
    const run = await settled(started.id as string);
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: 2_000, rowsRejected: 0, error: null });
    expect(run.startedAt).toMatch(/Z$/);
    expect((await admin.query(`SELECT count(*)::int AS n, sum(total)::text AS total FROM ${schema}.orders`)).rows[0]).toEqual({ n: 2_000, total: String((1999 * 2000) / 2 + 0.25 * 2000).concat('.00') });
  });

  it('imports multipart/form-data (fields before the file; the table from the mapping), and downloads the rejects as CSV', async () => {
    const form = new FormData();
    form.append('mode', 'upsert');
    form.append('errorPolicy', 'skip');
    form.append('file', new Blob(['id,customer,total\n1,Renamed,1\n2,,2\nbad,x,3\n'], { type: 'text/csv' }), 'orders-fix.csv');
    const response = await call('POST', base(), { body: form });
    expect(response.status).toBe(200);
    const started = (await response.json()) as { id: string; fileName: string; mode: string };
    expect(started).toMatchObject({ fileName: 'orders-fix.csv', mode: 'upsert' });
    expect(await settled(started.id)).toMatchObject({ outcome: 'succeeded', rowsRejected: 2 });
    expect((await admin.query(`SELECT customer FROM ${schema}.orders WHERE id = 1`)).rows).toEqual([{ customer: 'Renamed' }]);

    const rejects = await call('GET', `${base()}/${started.id}/rejects`);
    expect(rejects.status).toBe(200);
    expect(rejects.headers.get('content-type')).toContain('text/csv');
    expect(rejects.headers.get('content-disposition')).toContain('orders-fix.rejects.csv');
    expect(await rejects.text()).toBe('row,line,column,reason,value,id,customer,total\r\n2,3,customer,NULL in a NOT NULL column,,2,,2\r\n3,4,id,not an integer (integer),bad,bad,x,3\r\n');

    const history = (await (await call('GET', `${base()}?limit=1`)).json()) as { items: { id: string }[] };
    expect(history.items.map((item) => item.id)).toEqual([started.id]);
  });

  it('refuses in the F10 shape: unknown project 404, bad column 400, wrong media type 415, missing file part 400', async () => {
    const unknown = await call('POST', `/api/v1/workspaces/twsbp/projects/00000000-0000-4000-8000-000000000000/imports?table=x`, { body: 'a\n1\n', contentType: 'text/csv' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'project_not_found', details: { field: 'projectId' } });
    const columns = await call('POST', `${base()}?table=${schema}.orders`, { body: 'id,colour\n1,red\n', contentType: 'text/csv' });
    expect(columns.status).toBe(400);
    expect(await columns.json()).toMatchObject({ error: 'column_mapping_invalid', details: { unknownColumns: ['colour'], missingColumns: ['customer'] } });
    const media = await call('POST', `${base()}?table=${schema}.orders`, { body: '{}', contentType: 'application/json' });
    expect(media.status).toBe(415);
    expect(await media.json()).toMatchObject({ error: 'unsupported_media_type' });
    const form = new FormData();
    form.append('table', `${schema}.orders`);
    const noFile = await call('POST', base(), { body: form });
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ error: 'invalid_input', details: { field: 'file' } });
    const missing = await call('GET', `${base()}/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'import_not_found' });
  });

  it('documents the upload: the file as text/csv or multipart, the other fields in the query string', async () => {
    const document = (await (await fetch(`${test.app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; parameters?: { in: string; name: string }[] }>> };
    const post = document.paths['/api/v1/workspaces/{workspaceSlug}/projects/{projectId}/imports']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {}).sort()).toEqual(['multipart/form-data', 'text/csv']);
    expect(post?.parameters?.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual(['errorPolicy', 'fileName', 'maxRejects', 'mode', 'table']);
    expect(document.paths['/api/v1/workspaces/{workspaceSlug}/projects/{projectId}/imports/{importId}/rejects']?.get).toBeDefined();
  });
});
