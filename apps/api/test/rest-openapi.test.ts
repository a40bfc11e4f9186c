// The OpenAPI document at /api/openapi.json describes exactly the routes served under /api/v1, with
// bearer-token security and the F10 error body; /api/docs renders it from local files; paths the
// API does not own still reach the web UI's fallback handler.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

interface Operation {
  security?: Record<string, unknown[]>[];
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }>; headers?: Record<string, unknown> }>;
}
type OpenApiDocument = {
  openapi: string;
  info: { title: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, { properties?: Record<string, unknown> }> };
};

const ZERO_UUID = '00000000-0000-4000-8000-000000000000';

describe.each(testTargets)('OpenAPI and docs on $name', (target) => {
  let test: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    test = await startTestApp(target, {}, {
      fallback: (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`web ui: ${req.url}`);
      },
    });
    const response = await fetch(`${test.app.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = (await response.json()) as OpenApiDocument;
  });

  afterAll(async () => {
    await test?.close();
  });

  it('documents the REST routes with bearer-token security', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Workspace Studio API');
    expect(document.components.securitySchemes.ApiToken).toMatchObject({ type: 'http', scheme: 'bearer' });

    const connections = document.paths['/api/v1/workspaces/{workspaceSlug}/connections'];
    expect(Object.keys(connections ?? {}).sort()).toEqual(['get', 'post']);
    expect(connections?.get?.security).toEqual([{ ApiToken: [] }]);
    expect(connections?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:workspaceSlug', 'query:cursor', 'query:limit']);
    expect(connections?.post?.requestBody).toBeDefined();
    for (const path of [
      '/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}',
      '/api/v1/workspaces/{workspaceSlug}/environments',
      '/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}/access',
      '/api/v1/workspaces/{workspaceSlug}/audit',
      '/api/v1/workspaces',
    ]) {
      expect(document.paths, path).toHaveProperty([path]);
    }
    // The probe needs no token.
    expect(document.paths['/api/v1/health']?.get?.security).toBeUndefined();
  });

  it('describes a connection without any password field, and every error as the F10 Problem', () => {
    const get = document.paths['/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}']?.get;
    const schema = get?.responses['200']?.content?.['application/json']?.schema as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toContain('hasPassword');
    expect(Object.keys(schema.properties).filter((key) => /password|encrypted/i.test(key) && key !== 'hasPassword')).toEqual([]);
    expect(schema.properties.createdAt).toMatchObject({ type: 'string', format: 'date-time' });

    expect(Object.keys(document.components.schemas.Problem?.properties ?? {}).sort()).toEqual(['details', 'error', 'message']);
    for (const status of ['400', '401', '403', '429']) {
      expect(get?.responses[status]?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
    }
    expect(get?.responses['429']?.headers).toHaveProperty('Retry-After');
    expect(Object.keys(document.components.schemas).filter((name) => name.startsWith('error.'))).toEqual([]);
  });

  it('serves every documented operation (none answers "no route")', async () => {
    const token = await test.token('Owner', 'openapi-walk');
    let operations = 0;
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        const path = template.replace('{workspaceSlug}', 'twsbp').replace(/\{\w+\}/g, ZERO_UUID);
        const carriesBody = method === 'post' || method === 'patch';
        const response = await fetch(`${test.app.url}${path}`, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${token}`, ...(carriesBody ? { 'content-type': 'application/json' } : {}) },
          ...(carriesBody ? { body: '{}' } : {}),
        });
        const body = (await response.json()) as { error?: string; message?: string };
        expect(response.status, `${method} ${template}`).not.toBe(405);
        expect(body.message ?? '', `${method} ${template}`).not.toContain('No REST route');
        operations += 1;
      }
    }
    expect(operations).toBeGreaterThanOrEqual(30);
  });

  it('renders the reference page from the installed swagger-ui-dist, no CDN', async () => {
    const page = await fetch(`${test.app.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/api/docs/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);

    const bundle = await fetch(`${test.app.url}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);

    const initializer = await (await fetch(`${test.app.url}/api/docs/swagger-initializer.js`)).text();
    expect(initializer).toContain("url: '/api/openapi.json'");

    // Only the page's own files: nothing else in the package (or beyond) is reachable.
    expect((await fetch(`${test.app.url}/api/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${test.app.url}/api/docs/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('hands paths outside the API to the fallback, and keeps /api/v1 answers JSON', async () => {
    const page = await fetch(`${test.app.url}/connections/new?x=1`);
    expect(await page.text()).toBe('web ui: /connections/new?x=1');
    expect((await fetch(`${test.app.url}/healthz`)).status).toBe(200);

    const unknown = await fetch(`${test.app.url}/api/v1/no-such-thing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
  });
});
