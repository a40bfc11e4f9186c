// /metrics: request counts and durations by route template (never a raw id), errors by F10 code,
// rate-limit rejections by bucket, the pool manager's collectors, on a registry per app.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The value of one sample line, e.g. `studio_http_requests_total{method="GET",route="/healthz",status="200"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe.each(testTargets)('/metrics on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  });

  afterAll(async () => {
    await test?.close();
  });

  async function metrics(app: TestApp = test, token?: string) {
    const response = await fetch(`${app.app.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }

  it('counts requests by route template and status after traffic, with no ids in labels', async () => {
    const token = await test.token('Admin', 'metrics-traffic');
    const auth = { authorization: `Bearer ${token}` };
    const base = `${test.app.url}/api/v1/workspaces/twsbp/connections`;
    const created = await fetch(base, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'metrics-conn', type: 'postgres', host: '10.0.0.9', port: 5432, database: 'd', user: 'u', password: 'metrics-secret-pw' }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${base}/${id}`, { headers: auth })).status).toBe(200);
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}?limit=0`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${test.app.url}/trpc/health.ping`)).status).toBe(200);
    const batch = await fetch(`${test.app.url}/trpc/health.ping,workspaces.listMine?batch=1&input=${encodeURIComponent('{}')}`, { headers: auth });
    expect(batch.status).toBe(200);
    expect((await fetch(`${test.app.url}/trpc/connections.list?input=${encodeURIComponent(JSON.stringify({ json: { workspaceSlug: 'twsbp' } }))}`)).status).toBe(401);

    const { status, type, text } = await metrics();
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const requests = 'studio_http_requests_total';
    expect(sample(text, requests, { method: 'GET', route: '/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}', status: '200' })).toBe(3);
    expect(sample(text, requests, { method: 'POST', route: '/api/v1/workspaces/{workspaceSlug}/connections', status: '200' })).toBe(1);
    expect(sample(text, requests, { method: 'GET', route: '/api/v1/workspaces/{workspaceSlug}/connections', status: '401' })).toBe(1);
    expect(sample(text, requests, { method: 'GET', route: '/api/v1/workspaces/{workspaceSlug}/connections', status: '400' })).toBe(1);
    // The batch counts once per procedure in it.
    expect(sample(text, requests, { method: 'GET', route: '/trpc/health.ping', status: '200' })).toBe(2);
    expect(sample(text, requests, { method: 'GET', route: '/trpc/workspaces.listMine', status: '200' })).toBe(1);
    expect(sample(text, 'studio_http_request_duration_seconds_count', { method: 'GET', route: '/trpc/health.ping', status: '200' })).toBe(2);

    expect(sample(text, 'studio_errors_total', { error: 'unauthenticated', transport: 'rest' })).toBe(1);
    expect(sample(text, 'studio_errors_total', { error: 'invalid_input', transport: 'rest' })).toBe(1);
    expect(sample(text, 'studio_errors_total', { error: 'unauthenticated', transport: 'trpc' })).toBe(1);

    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((route) => UUID.test(route))).toEqual([]);
    expect(text).not.toContain(id);
    expect(text).not.toContain('metrics-secret-pw');
    // The pool manager's collectors are registered (no pool is open yet).
    expect(sample(text.replace(/^workspace_pool_pools (\d+)$/m, 'workspace_pool_pools{} $1'), 'workspace_pool_pools', {})).toBe(0);
    expect(text).toContain('# TYPE workspace_pool_acquire_seconds histogram');
  });

  it('counts rate-limit rejections by bucket', async () => {
    const token = await test.token('Viewer', 'metrics-rate-limit');
    const limit = test.app.services.rateLimits.limits.list.points;
    let limited = 0;
    for (let i = 0; i <= limit; i += 1) {
      const response = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/connections`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status === 429) limited += 1;
    }
    expect(limited).toBe(1);
    const { text } = await metrics();
    expect(sample(text, 'studio_rate_limit_rejections_total', { bucket: 'list' })).toBe(1);
    expect(sample(text, 'studio_errors_total', { error: 'rate_limited', transport: 'rest' })).toBe(1);
  });

  it('keeps a registry per app, and wants METRICS_TOKEN when one is set', async () => {
    const metricsToken = 'metrics-token-for-the-test';
    const second = await startTestApp(target, { METRICS_TOKEN: metricsToken });
    try {
      const refused = await metrics(second);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ error: 'unauthenticated' });
      expect((await metrics(second, 'wrong-token-wrong-token')).status).toBe(401);

      const own = await metrics(second, metricsToken);
      expect(own.status).toBe(200);
      // The first app's traffic is not in the second app's registry.
      expect(sample(own.text, 'studio_http_requests_total', { route: '/trpc/health.ping' })).toBeUndefined();
      expect(sample(own.text, 'studio_http_requests_total', { route: '/metrics', status: '401' })).toBe(2);
      expect((await metrics()).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
