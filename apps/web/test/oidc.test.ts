// "Sign in with Google" through the web routes: the sign-in page offers it only when configured,
// its action sends the browser to the provider with the state cookie, and /auth/oidc/callback signs
// the user in. The provider is the API's test OpenID provider (oidc-provider on loopback).
import type { RunningApp } from '@studio/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../api/test/support/oidc-test-provider';
import * as callback from '../app/routes/auth.oidc.callback';
import * as signIn from '../app/routes/sign-in';
import * as workspace from '../app/routes/w.$slug';
import { callRoute as call, ORIGIN, startRouteApp, type RouteFn } from './support';

const cookieOf = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];

function started(options: Record<string, string>) {
  return startRouteApp({ name: 'oidc', env: { SEED_ADMIN_PASSWORD: 'oidc-web-admin-pass', SEED_USER_PASSWORD: 'oidc-web-user-pass1', ...options }, userAgent: 'oidc-route-test', ip: '198.51.100.10' });
}

describe('sign-in page without OIDC settings', () => {
  let stack: Awaited<ReturnType<typeof started>>;
  beforeAll(async () => {
    stack = await started({});
  });
  afterAll(async () => stack?.close());

  it('offers no single sign-on button', async () => {
    const response = await call(signIn.loader as RouteFn, stack.context, new Request(`${ORIGIN}/sign-in`));
    expect(await response.json()).toEqual({ oidc: null, firstStart: false });
  });
});

describe('sign-in page with an OpenID provider', () => {
  let provider: TestProvider;
  let stack: Awaited<ReturnType<typeof started>>;
  let app: RunningApp;

  beforeAll(async () => {
    provider = await startTestProvider({ redirectUri: `${ORIGIN}/auth/oidc/callback` });
    stack = await started({ OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret, OIDC_REDIRECT_URI: `${ORIGIN}/auth/oidc/callback`, OIDC_BUTTON_LABEL: 'Sign in with Google' });
    app = stack.app;
  });
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
  });

  it('offers the button, goes to the provider and comes back signed in, where the user started', async () => {
    expect(app.url).toMatch(/^http:/);
    const page = await call(signIn.loader as RouteFn, stack.context, new Request(`${ORIGIN}/sign-in`));
    expect(await page.json()).toEqual({ oidc: { label: 'Sign in with Google' }, firstStart: false });

    provider.accounts.set('web-sub', { sub: 'web-sub', email: 'web.person@example.test', emailVerified: true, name: 'Web Person' });
    const start = await call(
      signIn.action as RouteFn,
      stack.context,
      new Request(`${ORIGIN}/sign-in`, { method: 'POST', headers: { origin: ORIGIN, host: 'studio.test' }, body: new URLSearchParams({ intent: 'oidc', redirectTo: '/w/somewhere' }) }),
    );
    expect(start.status).toBe(302);
    const authorizationUrl = start.headers.get('location') ?? '';
    expect(authorizationUrl.startsWith(provider.issuer)).toBe(true);
    const state = cookieOf(start, 'studio_oidc');
    expect(state).toBeDefined();

    const callbackUrl = new URL(await provider.signInAs(authorizationUrl, 'web-sub'));
    // Another browser (no state cookie) is refused and sees why.
    const foreign = await call(callback.loader as RouteFn, stack.context, new Request(`${ORIGIN}${callbackUrl.pathname}${callbackUrl.search}`));
    expect(foreign.status).toBe(401);
    expect(((await foreign.json()) as { error: string }).error).toBe('authentication_failed');

    const done = await call(callback.loader as RouteFn, stack.context, new Request(`${ORIGIN}${callbackUrl.pathname}${callbackUrl.search}`, { headers: { cookie: state! } }));
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/w/somewhere');
    const session = cookieOf(done, 'studio_session');
    expect(session).toBeDefined();

    const shell = await call(workspace.loader as RouteFn, stack.context, new Request(`${ORIGIN}/w/twsbp`, { headers: { cookie: session! } }), { slug: 'twsbp' });
    // Signed in (a new user is in no workspace yet, so the workspace page refuses rather than redirecting to sign-in).
    expect(shell.status).toBe(403);
  });
});
