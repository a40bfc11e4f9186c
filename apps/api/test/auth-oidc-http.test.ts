// OIDC sign-in through the real HTTP server configured from OIDC_* variables, the way a browser
// behind the web UI does it: cookies travel as headers, the session cookie then authenticates /trpc.
import { testTargets } from '@studio/db/testing';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/app';
import { EnvError, loadEnv } from '../src/env';
import { oidcConfigFromEnv } from '../src/services/oidc';
import { startTestApp, type TestApp } from './support/http-app';
import { startTestProvider, type TestProvider } from './support/oidc-test-provider';

const REDIRECT_URI = 'http://studio.test/auth/oidc/callback';

async function trpc(app: RunningApp, path: string, options: { input?: unknown; cookie?: string; method?: 'GET' | 'POST' } = {}) {
  const method = options.method ?? 'POST';
  const url = new URL(`${app.url}/trpc/${path}`);
  if (method === 'GET' && options.input !== undefined) url.searchParams.set('input', JSON.stringify(superjson.serialize(options.input)));
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(options.cookie ? { cookie: options.cookie } : {}) },
    body: method === 'POST' ? JSON.stringify(superjson.serialize(options.input)) : undefined,
  });
  const body = (await response.json()) as { result?: { data: { json: unknown; meta?: never } }; error?: { json: { data: Record<string, unknown> } } };
  return { status: response.status, setCookies: response.headers.getSetCookie(), data: body.result?.data.json as Record<string, unknown> | undefined, error: body.error?.json.data };
}

describe('OIDC settings', () => {
  it('are off without a client id, default to Google, and refuse plain http to a remote issuer', () => {
    expect(oidcConfigFromEnv(loadEnv({}), 'http://127.0.0.1:3000')).toBeNull();
    const google = oidcConfigFromEnv(loadEnv({ OIDC_CLIENT_ID: 'abc.apps.googleusercontent.com', OIDC_CLIENT_SECRET: 'shh-secret' }), 'http://127.0.0.1:3000');
    expect(google).toMatchObject({ clientId: 'abc.apps.googleusercontent.com', label: 'Sign in with Google' });
    expect(google?.issuer.href).toBe('https://accounts.google.com/');
    expect(google?.redirectUri.href).toBe('http://127.0.0.1:3000/auth/oidc/callback');

    let caught: unknown;
    try {
      loadEnv({ OIDC_ISSUER: 'http://idp.example.com', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'do-not-echo-me' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    expect((caught as EnvError).issues).toEqual([{ field: 'OIDC_ISSUER', message: 'must use https (http only for a provider on this machine)' }]);
    expect((caught as EnvError).message).not.toContain('do-not-echo-me');
    expect(loadEnv({ OIDC_ISSUER: 'http://localhost:8080/realms/x', OIDC_CLIENT_ID: 'x' }).OIDC_ISSUER).toBe('http://localhost:8080/realms/x');
  });
});

describe.each(testTargets)('OIDC sign-in over HTTP on $name', (target) => {
  let provider: TestProvider;
  let testApp: TestApp | undefined;
  let app: RunningApp;

  beforeAll(async () => {
    provider = await startTestProvider({ redirectUri: REDIRECT_URI });
    testApp = await startTestApp(target, {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_REDIRECT_URI: REDIRECT_URI,
    });
    app = testApp.app;
  });

  afterAll(async () => {
    await testApp?.close();
    await provider?.close();
  });

  it('signs a new user in with cookies only, and the session cookie then works for auth.me, sessions and sign-out', async () => {
    provider.accounts.set('http-sub', { sub: 'http-sub', email: 'http.user@example.test', emailVerified: true, name: 'Http User' });
    expect((await trpc(app, 'auth.oidcConfig', { method: 'GET' })).data).toEqual({ enabled: true, label: 'Sign in with single sign-on' });

    const start = await trpc(app, 'auth.oidcStart', { input: { returnTo: '/dashboard' } });
    expect(start.status).toBe(200);
    const stateCookie = start.setCookies.find((c) => c.startsWith('studio_oidc='));
    expect(stateCookie).toMatch(/HttpOnly; SameSite=Lax$/);
    const callbackUrl = await provider.signInAs(start.data?.authorizationUrl as string, 'http-sub');

    // Without the state cookie (another browser), the callback is refused.
    const foreign = await trpc(app, 'auth.oidcCallback', { input: { callbackUrl } });
    expect(foreign.status).toBe(401);
    expect(foreign.error).toMatchObject({ error: 'authentication_failed', details: { reason: 'state_missing' } });

    const done = await trpc(app, 'auth.oidcCallback', { input: { callbackUrl: new URL(callbackUrl).search }, cookie: stateCookie!.split(';')[0] });
    expect(done.status).toBe(200);
    expect(done.data).toMatchObject({ linkedBy: 'created', returnTo: '/dashboard', user: { username: 'http.user', displayName: 'Http User' } });
    const session = done.setCookies.find((c) => c.startsWith('studio_session='));
    expect(session).toMatch(/HttpOnly/);
    expect(done.setCookies.some((c) => /^studio_oidc=;.*Max-Age=0/.test(c))).toBe(true);
    const cookie = session!.split(';')[0]!;

    expect((await trpc(app, 'auth.me', { method: 'GET', cookie })).data).toMatchObject({ kind: 'user', user: { username: 'http.user' } });
    expect((await trpc(app, 'auth.sessions', { method: 'GET', cookie })).data).toEqual([expect.objectContaining({ current: true })]);
    expect((await trpc(app, 'auth.signOut', { cookie })).status).toBe(200);
    expect((await trpc(app, 'auth.me', { method: 'GET', cookie })).status).toBe(401);
  });
});
