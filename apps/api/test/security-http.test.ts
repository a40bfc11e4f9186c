// The HTTP front door under hostile requests: names that exist on every JavaScript object
// (`constructor`, `__proto__`, ...) wherever a route looks something up by name, the security
// headers of API answers and of the API reference page, and which X-Forwarded-For entry is the
// client's address behind TRUST_PROXY.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestMetaOf } from '../src/context';
import { loadEnv } from '../src/env';
import { parseTrustProxy, trustFunctionOf, type TrustProxy } from '../src/trust-proxy';
import { PROTOTYPE_KEYS } from './support/hostile';
import { startTestApp, type TestApp } from './support/http-app';


const pglite = testTargets.find((target) => target.name === 'pglite');
if (!pglite) throw new Error('the pglite test target is always available');

function isProblem(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const { error, message, details } = body as Record<string, unknown>;
  return typeof error === 'string' && typeof message === 'string' && typeof details === 'object' && details !== null;
}

describe('prototype-key names on every route that looks something up by name', () => {
  let test: TestApp;
  let token: string;

  beforeAll(async () => {
    test = await startTestApp(pglite);
    token = await test.token('Owner');
  });

  afterAll(async () => {
    await test?.close();
  });

  async function healthy(): Promise<void> {
    const response = await fetch(`${test.app.url}/healthz`);
    expect(response.status).toBe(200);
  }

  it('GET /api/docs/<key> is a 404 in the F10 shape and the process keeps answering', async () => {
    for (const key of PROTOTYPE_KEYS) {
      const response = await fetch(`${test.app.url}/api/docs/${encodeURIComponent(key)}`);
      expect(response.status, key).toBe(404);
      expect(isProblem(await response.json()), key).toBe(true);
    }
    await healthy();
    // The real files are still served.
    expect((await fetch(`${test.app.url}/api/docs/swagger-ui.css`)).status).toBe(200);
  });

  it('tRPC procedure paths and batch keys named after prototype keys are refused with 404/400', async () => {
    for (const key of PROTOTYPE_KEYS) {
      for (const path of [key, `health.${key}`, `auth.${key}`, `${key}.${key}`]) {
        const response = await fetch(`${test.app.url}/trpc/${encodeURIComponent(path)}`);
        expect(response.status, path).toBeGreaterThanOrEqual(400);
        expect(response.status, path).toBeLessThan(500);
      }
      const batch = await fetch(`${test.app.url}/trpc/health.${key},auth.me?batch=1&input=${encodeURIComponent(JSON.stringify({ [key]: {} }))}`);
      expect(batch.status, key).toBeLessThan(500);
    }
    await healthy();
  });

  it('REST path parameters, query keys and body keys named after prototype keys answer 4xx', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const key of PROTOTYPE_KEYS) {
      const k = encodeURIComponent(key);
      const attempts: [string, string, string?][] = [
        ['GET', `/api/v1/workspaces/${k}`],
        ['GET', `/api/v1/workspaces/${k}/connections`],
        ['GET', `/api/v1/workspaces/twsbp/connections/${k}`],
        ['GET', `/api/v1/workspaces/twsbp/environments/${k}`],
        ['GET', `/api/v1/workspaces/twsbp/connections?${k}=1&limit=${k}`],
        ['GET', `/api/v1/workspaces/twsbp/audit?${k}=x&cursor=${k}`],
        ['POST', `/api/v1/workspaces/twsbp/connections`, JSON.stringify({ [key]: { polluted: true }, name: key, type: key })],
        ['POST', `/api/v1/workspaces`, `{"__proto__": {"admin": true}, "name": "${key}", "slug": "${key}"}`],
        ['GET', `/api/v1/${k}`],
      ];
      for (const [method, path, body] of attempts) {
        const response = await fetch(`${test.app.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
        expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
        expect(isProblem(await response.json()), `${method} ${path}`).toBe(true);
      }
    }
    // Nothing leaked onto Object.prototype from a `__proto__` body key.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await healthy();
  });

  it('every API answer carries the security headers and Cache-Control: no-store', async () => {
    const answers = [
      await fetch(`${test.app.url}/healthz`),
      await fetch(`${test.app.url}/api/v1/workspaces/twsbp/connections`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${test.app.url}/trpc/auth.me`),
      await fetch(`${test.app.url}/api/v1/nowhere`),
    ];
    for (const response of answers) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('same-origin');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
    }
  });

  it('the API reference page is allowed its own scripts only (no inline script), and is never framed', async () => {
    const page = await fetch(`${test.app.url}/api/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // Every script of the page is a file the policy allows, none inline.
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/api\/docs\//);
      expect(body?.trim()).toBe('');
    }
    for (const [, src] of html.matchAll(/src="([^"]+)"/g)) expect((await fetch(`${test.app.url}${src}`)).status).toBe(200);
  });
});

describe('TRUST_PROXY: the client address is read from the right, past the trusted hops', () => {
  let server: Server;
  let url: string;
  let trust: TrustProxy = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const meta = requestMetaOf(req, trustFunctionOf(trust));
      res.end(JSON.stringify(meta));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function seen(setting: string, headers: Record<string, string>): Promise<{ ip: string | null; tls: boolean }> {
    trust = parseTrustProxy(setting);
    const response = await fetch(url, { headers });
    return (await response.json()) as { ip: string | null; tls: boolean };
  }

  it('ignores X-Forwarded-For without TRUST_PROXY', async () => {
    expect((await seen('false', { 'x-forwarded-for': '6.6.6.6' })).ip).toBe('127.0.0.1');
    expect((await seen('', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' })).tls).toBe(false);
  });

  it('with one hop (TRUST_PROXY=1 or true) a client-written leftmost entry is not believed', async () => {
    for (const setting of ['1', 'true']) {
      const meta = await seen(setting, { 'x-forwarded-for': '6.6.6.6, 203.0.113.7', 'x-forwarded-proto': 'https' });
      expect(meta.ip, setting).toBe('203.0.113.7');
      expect(meta.tls, setting).toBe(true);
    }
  });

  it('with two hops the second entry from the right is the client', async () => {
    expect((await seen('2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.5' })).ip).toBe('203.0.113.7');
    // Fewer entries than hops: the leftmost there is, never beyond it.
    expect((await seen('2', { 'x-forwarded-for': '203.0.113.8' })).ip).toBe('203.0.113.8');
  });

  it('with a CIDR list, entries from trusted proxies are skipped and the first other address is the client', async () => {
    const meta = await seen('127.0.0.1/8,10.0.0.0/8', { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3, 10.9.9.9' });
    expect(meta.ip).toBe('203.0.113.9');
    // A peer outside the list is the client itself, whatever it forwards.
    expect((await seen('10.0.0.0/8', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' })).ip).toBe('127.0.0.1');
    expect((await seen('10.0.0.0/8', { 'x-forwarded-proto': 'https' })).tls).toBe(false);
  });

  it('TRUST_PROXY accepts hop counts, true/false and address lists, and refuses anything else at startup', () => {
    expect(loadEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1);
    expect(loadEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
    expect(loadEnv({}).TRUST_PROXY).toBe(0);
    expect(loadEnv({ TRUST_PROXY: '10.0.0.0/8, loopback' }).TRUST_PROXY).toEqual(['10.0.0.0/8', 'loopback']);
    expect(() => loadEnv({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
    expect(() => loadEnv({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
    expect(() => loadEnv({ TRUST_PROXY: '1000' })).toThrow(/TRUST_PROXY/);
  });
});
