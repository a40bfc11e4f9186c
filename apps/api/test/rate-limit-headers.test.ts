// Public API consumers pace themselves from the standard headers: every REST (and tRPC) answer
// of a rate-limited call says the limit, what is left and when the window resets, and a 429 adds
// Retry-After. RATE_LIMITS set by the operator is what the headers and the refusals follow.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

describe.each(testTargets)('rate-limit headers on $name', (target) => {
  let test: TestApp;
  let token: string;

  beforeAll(async () => {
    test = await startTestApp(target, { RATE_LIMITS: 'list=3/60,status=50/30' });
    token = await test.token('Admin');
  });

  afterAll(async () => {
    await test?.close();
  });

  const get = (path: string, bearer = token) => fetch(`${test.app.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });

  it('counts down RateLimit-Remaining on REST list calls, then answers 429 with Retry-After at the configured limit', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await get('/api/v1/workspaces/twsbp/connections'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('ratelimit-limit'))).toEqual(['3', '3', '3', '3']);
    expect(answers.map((a) => a.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    for (const answer of answers) {
      const reset = Number(answer.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }
    expect(answers.slice(0, 3).every((a) => a.headers.get('retry-after') === null)).toBe(true);
    const refused = answers[3]!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', details: { bucket: 'list', limit: 3 } });
  });

  it('reports the bucket of each call with its own limit and window, per principal', async () => {
    const other = await test.token('Admin');
    const listed = await get('/api/v1/workspaces/twsbp/connections', other);
    expect(listed.status).toBe(200);
    expect([listed.headers.get('ratelimit-limit'), listed.headers.get('ratelimit-remaining')]).toEqual(['3', '2']);

    const created = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'headers-probe', type: 'postgres', host: '10.0.0.9', port: 5432, database: 'd', user: 'u', password: 'p' }),
    });
    expect(created.status).toBe(200);
    // connectionCreate keeps the seed's default: 10 an hour.
    expect([created.headers.get('ratelimit-limit'), created.headers.get('ratelimit-remaining')]).toEqual(['10', '9']);
    expect(Number(created.headers.get('ratelimit-reset'))).toBeGreaterThan(3_000);

    const { id } = (await created.json()) as { id: string };
    const status = await get(`/api/v1/workspaces/twsbp/connections/${id}/status`, other);
    expect(status.status).toBe(200);
    expect([status.headers.get('ratelimit-limit'), status.headers.get('ratelimit-remaining')]).toEqual(['50', '49']);
    expect(Number(status.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(30);
  });

  it('sends no RateLimit headers on a call no bucket counts', async () => {
    const answer = await get('/api/v1/health');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-limit')).toBeNull();
  });

  it('sends the headers on tRPC answers too', async () => {
    const third = await test.token('Admin');
    const workspace = await test.app.services.workspaces.find({ workspaceSlug: 'twsbp' });
    const input = encodeURIComponent(JSON.stringify({ json: { workspaceId: workspace!.id } }));
    const answer = await fetch(`${test.app.url}/trpc/connections.list?input=${input}`, { headers: { authorization: `Bearer ${third}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-limit')).toBe('3');
    expect(answer.headers.get('ratelimit-remaining')).toBe('2');
  });
});
