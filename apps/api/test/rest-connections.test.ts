// REST over the real HTTP server with API tokens: a connection's full life (the password never
// comes back), and the F10 error shape with the right HTTP status for every kind of refusal.
import { randomBytes } from 'node:crypto';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const PASSWORD = `rest-secret-${randomBytes(6).toString('hex')}`;
const NEW_PASSWORD = `rest-rotated-${randomBytes(6).toString('hex')}`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface RestAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

describe.each(testTargets)('REST connections on $name', (target) => {
  let test: TestApp;
  let adminToken: string;
  /** Every REST body this file received: none may contain a password. */
  const bodies: string[] = [];

  async function rest(method: string, path: string, options: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<RestAnswer> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? adminToken : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined || options.rawBody !== undefined) {
      body = options.rawBody ?? JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${test.app.url}${path}`, { method, headers, body });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  const base = '/api/v1/workspaces/twsbp/connections';
  const draft = (name: string) => ({ name, type: 'postgres', host: '10.0.0.7', port: 5432, database: 'sales', user: 'reporter', password: PASSWORD });

  beforeAll(async () => {
    test = await startTestApp(target);
    adminToken = await test.token('Admin');
  });

  afterAll(async () => {
    await test?.close();
  });

  afterAll(() => {
    // The scan covers every test above: successes and errors alike.
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(NEW_PASSWORD);
    }
  });

  it('creates, lists, gets, updates and deletes a connection; the password is never returned', async () => {
    const created = await rest('POST', base, { body: draft('rest-crud') });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'rest-crud', type: 'postgres', host: '10.0.0.7', port: 5432, user: 'reporter', hasPassword: true, status: 'unknown' });
    expect(created.body).not.toHaveProperty('password');
    expect(created.body).not.toHaveProperty('passwordEncrypted');
    expect(created.body).not.toHaveProperty('userEncrypted');
    // Superjson is a tRPC matter: REST dates are ISO strings.
    expect(created.body.createdAt).toMatch(ISO);
    const id = created.body.id as string;

    const list = await rest('GET', `${base}?limit=50`);
    expect(list.status).toBe(200);
    const items = list.body.items as Record<string, unknown>[];
    expect(items.find((c) => c.id === id)).toMatchObject({ name: 'rest-crud', hasPassword: true });
    expect(list.body.nextCursor).toBeNull();

    const got = await rest('GET', `${base}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, name: 'rest-crud', hasPassword: true, lastTestedAt: null });

    const renamed = await rest('PATCH', `${base}/${id}`, { body: { name: 'rest-crud-renamed', port: 6543, password: PASSWORD } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'rest-crud-renamed', port: 6543, hasPassword: true });

    const rotated = await rest('PATCH', `${base}/${id}`, { body: { password: NEW_PASSWORD } });
    expect(rotated.body).toMatchObject({ hasPassword: true });
    const cleared = await rest('PATCH', `${base}/${id}`, { body: { password: null } });
    expect(cleared.body).toMatchObject({ hasPassword: false });

    const permissions = await rest('GET', `${base}/${id}/permissions`);
    const { canUse, canManage, can } = permissions.body as { canUse: boolean; canManage: boolean; can: Record<string, { allowed: boolean; reason: string | null }> };
    expect({ canUse, canManage }).toEqual({ canUse: true, canManage: true });
    // Every action on it, each allowed for the Owner's token, over REST as over tRPC.
    expect(Object.values(can).every((verdict) => verdict.allowed && verdict.reason === null)).toBe(true);
    expect(Object.keys(can)).toContain('connection.update');

    const deleted = await rest('DELETE', `${base}/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id, deleted: true });

    const gone = await rest('GET', `${base}/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'not_found', message: expect.any(String), details: expect.any(Object) });
  });

  it('answers 400 naming the field at fault, from the body and from the query string', async () => {
    const badPort = await rest('POST', base, { body: { ...draft('rest-bad'), port: 70_000 } });
    expect(badPort.status).toBe(400);
    expect(badPort.body).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'port' }] } });
    expect(badPort.body.message).toContain('port');
    expect(Object.keys(badPort.body).sort()).toEqual(['details', 'error', 'message']);

    const missing = await rest('POST', base, { body: { name: 'rest-missing', type: 'postgres', port: 5432, database: 'd', user: 'u' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'host' }] } });

    const badLimit = await rest('GET', `${base}?limit=lots`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'limit' }] } });

    const badId = await rest('GET', `${base}/not-a-uuid`);
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'connectionId' }] } });

    const notJson = await rest('POST', base, { rawBody: '{"name":', contentType: 'application/json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: 'invalid_input' });

    const form = await rest('POST', base, { rawBody: 'name=x', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('answers 401 without a token or with a bad one', async () => {
    const anonymous = await rest('GET', base, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: 'unauthenticated' });

    const forged = await rest('GET', base, { token: 'wss_not-a-real-token' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: 'unauthenticated', message: expect.stringContaining('invalid') });
  });

  it('answers 403 when a Viewer token writes, and audits the denial', async () => {
    const viewer = await test.token('Viewer');
    const listed = await rest('GET', base, { token: viewer });
    expect(listed.status).toBe(200);
    const refused = await rest('POST', base, { token: viewer, body: draft('rest-viewer') });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', details: { action: 'connection.create' } });

    const audit = await rest('GET', '/api/v1/workspaces/twsbp/audit?outcome=denied&action=connection.create');
    expect(audit.status).toBe(200);
    expect((audit.body.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('answers 409 for a duplicate name', async () => {
    const first = await rest('POST', base, { body: draft('rest-duplicate') });
    expect(first.status).toBe(200);
    const second = await rest('POST', base, { body: draft('rest-duplicate') });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'conflict', details: { field: 'name' } });
  });

  it('answers 429 with Retry-After on the 11th connection created within the hour', async () => {
    const token = await test.token('Admin', 'rest-rate-limit');
    for (let i = 1; i <= 10; i += 1) {
      const created = await rest('POST', base, { token, body: draft(`rest-limit-${i}`) });
      expect(created.status).toBe(200);
    }
    const limited = await rest('POST', base, { token, body: draft('rest-limit-11') });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: 'rate_limited', details: { bucket: 'connectionCreate', limit: 10 } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    expect(limited.body.details).toMatchObject({ retryAfterSeconds: retryAfter });
  });

  it('answers 404 for an unknown route and 405 with Allow for a wrong method, both in the F10 shape', async () => {
    const unknown = await rest('GET', '/api/v1/workspaces/twsbp/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found', details: {} });

    const wrongMethod = await rest('PUT', base, { body: {} });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expect(wrongMethod.body).toMatchObject({ error: 'method_not_allowed' });
  });
});
