// "Sign in with Google" end to end against a real OpenID Connect provider (oidc-provider) started
// here on a loopback port: authorization code + PKCE + state + nonce through openid-client, then
// linking by verified email. No fetch is mocked: the provider's redirects are followed over HTTP.
import { roles, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner, SessionCookies } from '../src/context';
import { appRouter } from '../src/routers/_app';
import type { Principal } from '../src/services/authorization';
import { createLogger } from '../src/logger';
import { OIDC_STATE_COOKIE, OidcService } from '../src/services/oidc';
import { createCallerFactory } from '../src/trpc';
import { createHarness, problemOf, TEST_PASSWORD, type Harness } from './support/harness';
import { startTestProvider, type TestProvider } from './support/oidc-test-provider';

const createCaller = createCallerFactory(appRouter);
const REDIRECT_URI = 'http://studio.test/auth/oidc/callback';

describe.each(testTargets)('OIDC sign-in on $name', (target) => {
  let provider: TestProvider;
  let h: Harness;
  let disabled: Harness;

  beforeAll(async () => {
    provider = await startTestProvider({ redirectUri: REDIRECT_URI });
    h = await createHarness(target, {
      oidc: {
        issuer: new URL(provider.issuer),
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        redirectUri: new URL(REDIRECT_URI),
        label: 'Sign in with Test IdP',
      },
    });
    disabled = await createHarness(target);
  });

  afterAll(async () => {
    await h?.dispose();
    await disabled?.dispose();
    await provider?.close();
  });

  /** A tRPC caller for one request carrying `cookies`, and the cookies that request set. */
  function request(options: { cookies?: string; principal?: Principal | null; ip?: string } = {}) {
    const sessionCookies = new SessionCookies(h.services.sessions.lucia, false);
    const ctx = createContextInner({
      ...h.services,
      principal: options.principal ?? null,
      requestMeta: { ip: options.ip ?? '198.51.100.20', userAgent: 'vitest-oidc' },
      sessionCookies,
      requestCookies: options.cookies,
    });
    return { api: createCaller(ctx), sessionCookies };
  }

  /** What a browser does: start, sign in at the provider as `sub`, come back with the state cookie. */
  async function browserSignIn(sub: string, returnTo?: string) {
    const start = request();
    const { authorizationUrl } = await start.api.auth.oidcStart(returnTo ? { returnTo } : undefined);
    const stateCookie = start.sessionCookies.setCookieHeaders.find((c) => c.startsWith(`${OIDC_STATE_COOKIE}=`));
    expect(stateCookie).toBeDefined();
    const cookie = stateCookie!.split(';')[0]!;
    const callbackUrl = await provider.signInAs(authorizationUrl, sub);
    return { authorizationUrl, stateCookie: stateCookie!, cookie, callbackUrl };
  }

  async function principalOfSession(sessionId: string): Promise<Principal> {
    const validated = await h.services.sessions.validate(sessionId);
    expect(validated).not.toBeNull();
    return { kind: 'user', userId: validated!.user.id, username: validated!.user.username, displayName: validated!.user.displayName, sessionId };
  }

  it('offers the button only when configured', async () => {
    expect(await request().api.auth.oidcConfig()).toEqual({ enabled: true, label: 'Sign in with Test IdP' });
    const off = createCaller(createContextInner({ ...disabled.services, principal: null, requestMeta: { ip: null, userAgent: null } }));
    expect(await off.auth.oidcConfig()).toEqual({ enabled: false, label: null });
    expect(await problemOf(off.auth.oidcStart())).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'oidc_disabled' } });
  });

  it('creates a user on the first sign-in, signs them in, and finds them by subject the next time', async () => {
    provider.accounts.set('sub-new-1', { sub: 'sub-new-1', email: 'New.Person@example.test', emailVerified: true, name: 'New Person' });
    const flow = await browserSignIn('sub-new-1', '/workspaces/abc?tab=envs');

    const url = new URL(flow.authorizationUrl);
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    for (const param of ['code_challenge', 'state', 'nonce']) expect(url.searchParams.get(param)).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(flow.stateCookie).toMatch(/; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    // The browser-held state is sealed: nothing of the PKCE verifier or nonce is readable in it.
    expect(flow.cookie).not.toContain(url.searchParams.get('nonce'));
    expect(flow.callbackUrl).toMatch(/^http:\/\/studio\.test\/auth\/oidc\/callback\?code=/);

    const callback = request({ cookies: `other=1; ${flow.cookie}` });
    const signedIn = await callback.api.auth.oidcCallback({ callbackUrl: flow.callbackUrl });
    expect(signedIn).toMatchObject({ linkedBy: 'created', returnTo: '/workspaces/abc?tab=envs', user: { username: 'new.person', displayName: 'New Person' } });
    // The session cookie is issued and the state cookie spent.
    expect(callback.sessionCookies.setCookieHeaders).toEqual(
      expect.arrayContaining([expect.stringMatching(/^studio_oidc=; Path=\/; Max-Age=0/), expect.stringMatching(/^studio_session=[^;]+;.*HttpOnly/)]),
    );
    const sessionId = callback.sessionCookies.issued as string;
    const me = await request({ principal: await principalOfSession(sessionId) }).api.auth.me();
    expect(me).toEqual({ kind: 'user', user: { id: signedIn.user.id, username: 'new.person', displayName: 'New Person' } });

    const [row] = await h.testDb.database.db.select().from(users).where(eq(users.id, signedIn.user.id));
    expect(row).toMatchObject({ email: 'New.Person@example.test', googleSubject: 'sub-new-1', googleEmail: 'New.Person@example.test', passwordHash: null });

    // Replaying the same callback (code already spent, state cookie cleared by the first answer) fails.
    expect(await problemOf(request({ cookies: flow.cookie }).api.auth.oidcCallback({ callbackUrl: flow.callbackUrl }))).toMatchObject({
      code: 'UNAUTHORIZED',
      error: 'authentication_failed',
      details: { reason: 'provider_rejected' },
    });

    const again = await browserSignIn('sub-new-1');
    const second = await request({ cookies: again.cookie }).api.auth.oidcCallback({ callbackUrl: again.callbackUrl });
    expect(second).toMatchObject({ linkedBy: 'subject', returnTo: '/', user: { id: signedIn.user.id } });
    expect(await h.testDb.database.db.select({ id: users.id }).from(users).where(eq(users.googleSubject, 'sub-new-1'))).toHaveLength(1);

    const audit = (await h.auditRows()).filter((r) => r.action === 'auth.signIn' && r.actorUserId === signedIn.user.id);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ outcome: 'success', ip: '198.51.100.20', details: { method: 'oidc', linkedBy: 'created', issuer: `${provider.issuer}/` } });
    const auditText = JSON.stringify(await h.auditRows());
    for (const secret of [new URL(flow.callbackUrl).searchParams.get('code')!, flow.cookie.split('=')[1]!, provider.clientSecret]) {
      expect(auditText).not.toContain(secret);
    }
  });

  it('links an existing local user with the same verified email, who keeps their password', async () => {
    const local = await h.user('localuser');
    await h.testDb.database.db.update(users).set({ email: 'local.person@example.test' }).where(eq(users.id, local.id));
    provider.accounts.set('sub-local', { sub: 'sub-local', email: 'LOCAL.person@example.test', emailVerified: true });

    const flow = await browserSignIn('sub-local');
    const signedIn = await request({ cookies: flow.cookie }).api.auth.oidcCallback({ callbackUrl: flow.callbackUrl });
    expect(signedIn).toMatchObject({ linkedBy: 'email', user: { id: local.id, username: local.username } });
    const [row] = await h.testDb.database.db.select().from(users).where(eq(users.id, local.id));
    expect(row).toMatchObject({ googleSubject: 'sub-local', googleEmail: 'LOCAL.person@example.test' });
    expect(await request().api.auth.signIn({ username: local.username, password: TEST_PASSWORD })).toMatchObject({ user: { id: local.id } });
    // Their account says they sign in both ways and have a password.
    expect(await request({ principal: local.principal }).api.account.get()).toMatchObject({ signIn: 'both', hasPassword: true });

    // From now on the subject finds them even if the provider's email changes.
    provider.accounts.set('sub-local', { sub: 'sub-local', email: 'renamed@example.test', emailVerified: true });
    const later = await browserSignIn('sub-local');
    expect(await request({ cookies: later.cookie }).api.auth.oidcCallback({ callbackUrl: later.callbackUrl })).toMatchObject({
      linkedBy: 'subject',
      user: { id: local.id },
    });
  });

  it('shows a person who only uses the provider that no password is set, and refuses them once deactivated', async () => {
    provider.accounts.set('sub-leaver', { sub: 'sub-leaver', email: 'leaver@example.test', emailVerified: true, name: 'Leaver' });
    const first = await browserSignIn('sub-leaver');
    const callback = request({ cookies: first.cookie });
    const signedIn = await callback.api.auth.oidcCallback({ callbackUrl: first.callbackUrl });
    const sessionId = callback.sessionCookies.issued as string;
    expect(await request({ principal: await principalOfSession(sessionId) }).api.account.get()).toMatchObject({ signIn: 'oidc', hasPassword: false });

    // The last-Admin guard looks the Admin role up; this harness's database is not seeded.
    await h.testDb.database.db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    expect(await h.services.people.deactivate(signedIn.user.id)).toEqual({ endedSessions: 1 });
    expect(await h.services.sessions.validate(sessionId)).toBeNull();
    const again = await browserSignIn('sub-leaver');
    const refused = request({ cookies: again.cookie });
    expect(await problemOf(refused.api.auth.oidcCallback({ callbackUrl: again.callbackUrl }))).toMatchObject({ code: 'UNAUTHORIZED', error: 'authentication_failed' });
    expect(refused.sessionCookies.issued).toBeUndefined();
    const failures = (await h.auditRows()).filter((r) => r.action === 'auth.signIn' && r.outcome === 'failure' && (r.details as { reason?: string }).reason === 'deactivated');
    expect(failures.map((r) => [r.actorUserId, r.actorUsername, r.targetId, r.details])).toEqual([
      [signedIn.user.id, signedIn.user.username, signedIn.user.id, { method: 'oidc', issuer: `${provider.issuer}/`, reason: 'deactivated' }],
    ]);
  });

  it('refuses an unverified email clearly, creating and linking nothing', async () => {
    const local = await h.user('victim');
    await h.testDb.database.db.update(users).set({ email: 'victim@example.test' }).where(eq(users.id, local.id));
    provider.accounts.set('sub-unverified', { sub: 'sub-unverified', email: 'victim@example.test', emailVerified: false });

    const flow = await browserSignIn('sub-unverified');
    const callback = request({ cookies: flow.cookie });
    const problem = await problemOf(callback.api.auth.oidcCallback({ callbackUrl: flow.callbackUrl }));
    expect(problem).toMatchObject({ code: 'UNAUTHORIZED', error: 'authentication_failed', details: { reason: 'email_not_verified' } });
    expect(problem.message).toMatch(/victim@example\.test is not verified/);
    expect(callback.sessionCookies.issued).toBeUndefined();
    expect(await h.testDb.database.db.select({ id: users.id }).from(users).where(eq(users.googleSubject, 'sub-unverified'))).toHaveLength(0);
    const [row] = await h.testDb.database.db.select({ googleSubject: users.googleSubject }).from(users).where(eq(users.id, local.id));
    expect(row?.googleSubject).toBeNull();
    const failures = (await h.auditRows()).filter((r) => r.action === 'auth.signIn' && r.outcome === 'failure' && r.actorUsername === 'victim@example.test');
    expect(failures).toEqual([expect.objectContaining({ details: expect.objectContaining({ method: 'oidc', reason: 'email_not_verified' }) })]);
  });

  it('refuses a tampered state, a missing or foreign state cookie, and a provider error', async () => {
    provider.accounts.set('sub-tamper', { sub: 'sub-tamper', email: 'tamper@example.test', emailVerified: true });

    const flow = await browserSignIn('sub-tamper');
    const tampered = new URL(flow.callbackUrl);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    expect(await problemOf(request({ cookies: flow.cookie }).api.auth.oidcCallback({ callbackUrl: tampered.href }))).toMatchObject({
      code: 'UNAUTHORIZED',
      details: { reason: 'provider_rejected' },
    });

    // The callback arrives in a browser that never started this sign-in (login CSRF).
    const other = await browserSignIn('sub-tamper');
    expect(await problemOf(request().api.auth.oidcCallback({ callbackUrl: other.callbackUrl }))).toMatchObject({ details: { reason: 'state_missing' } });
    // ...or one that started a different sign-in: its state does not match.
    const mine = await browserSignIn('sub-tamper');
    expect(await problemOf(request({ cookies: mine.cookie }).api.auth.oidcCallback({ callbackUrl: other.callbackUrl }))).toMatchObject({
      details: { reason: 'provider_rejected' },
    });
    // A forged cookie value.
    expect(await problemOf(request({ cookies: `${OIDC_STATE_COOKIE}=gcm1:1:AAAA:BBBB:CCCC` }).api.auth.oidcCallback({ callbackUrl: other.callbackUrl }))).toMatchObject({
      details: { reason: 'state_missing' },
    });
    // The provider reports an error instead of a code (the user pressed "cancel").
    const cancelled = `${REDIRECT_URI}?error=access_denied&state=${new URL(mine.authorizationUrl).searchParams.get('state')}&iss=${encodeURIComponent(provider.issuer)}`;
    expect(await problemOf(request({ cookies: mine.cookie }).api.auth.oidcCallback({ callbackUrl: cancelled }))).toMatchObject({
      details: { reason: 'provider_rejected' },
    });

    // An address that does not parse: refused by reason, and the problem never echoes what was sent.
    const garbled = 'http://[garbled?code=secret-code-value';
    const garbledProblem = await problemOf(request({ cookies: mine.cookie }).api.auth.oidcCallback({ callbackUrl: garbled }));
    expect(garbledProblem).toMatchObject({ code: 'UNAUTHORIZED', details: { reason: 'callback_invalid' } });
    expect(JSON.stringify(garbledProblem)).not.toContain('secret-code-value');

    expect(await h.testDb.database.db.select({ id: users.id }).from(users).where(eq(users.googleSubject, 'sub-tamper'))).toHaveLength(0);
    // The untouched callback with its own cookie still works: the refusals above were about tampering.
    expect(await request({ cookies: mine.cookie }).api.auth.oidcCallback({ callbackUrl: (await provider.signInAs(mine.authorizationUrl, 'sub-tamper')) })).toMatchObject({
      linkedBy: 'created',
    });
  });

  it('refuses to guess between accounts: a shared email, or an email already linked to another identity', async () => {
    const first = await h.user('twin');
    const second = await h.user('twin');
    for (const user of [first, second]) await h.testDb.database.db.update(users).set({ email: 'twins@example.test' }).where(eq(users.id, user.id));
    provider.accounts.set('sub-twins', { sub: 'sub-twins', email: 'twins@example.test', emailVerified: true });
    const twins = await browserSignIn('sub-twins');
    expect(await problemOf(request({ cookies: twins.cookie }).api.auth.oidcCallback({ callbackUrl: twins.callbackUrl }))).toMatchObject({
      details: { reason: 'email_ambiguous' },
    });

    const linked = await h.user('linked');
    await h.testDb.database.db.update(users).set({ email: 'linked@example.test', googleSubject: 'sub-original' }).where(eq(users.id, linked.id));
    provider.accounts.set('sub-impostor', { sub: 'sub-impostor', email: 'linked@example.test', emailVerified: true });
    const impostor = await browserSignIn('sub-impostor');
    expect(await problemOf(request({ cookies: impostor.cookie }).api.auth.oidcCallback({ callbackUrl: impostor.callbackUrl }))).toMatchObject({
      details: { reason: 'email_linked_elsewhere' },
    });
    const [row] = await h.testDb.database.db.select({ googleSubject: users.googleSubject }).from(users).where(eq(users.id, linked.id));
    expect(row?.googleSubject).toBe('sub-original');
    expect(await h.testDb.database.db.select({ id: users.id }).from(users).where(eq(users.googleSubject, 'sub-impostor'))).toHaveLength(0);
  });

  it('answers SERVICE_UNAVAILABLE while the provider cannot be reached, and recovers', async () => {
    const dead = await startTestProvider({ redirectUri: REDIRECT_URI });
    const issuer = new URL(dead.issuer);
    await dead.close();
    const service = new OidcService(h.testDb.database.db, h.services.keyRing, { issuer, clientId: 'x', redirectUri: new URL(REDIRECT_URI), label: 'x' }, createLogger('silent'));
    await expect(service.start('/')).rejects.toMatchObject({ code: 'service_unavailable', details: { reason: 'oidc_discovery_failed' } });
    // The failure is not cached: once the issuer answers again, the same service starts sign-ins.
    const back = await startTestProvider({ redirectUri: REDIRECT_URI, port: Number(issuer.port) });
    try {
      await expect(service.start('/')).resolves.toMatchObject({ authorizationUrl: expect.stringContaining(`${dead.issuer}/auth?`) });
    } finally {
      await back.close();
    }
  });

  it('refuses a returnTo that would leave the site', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'relative']) {
      expect(await problemOf(request().api.auth.oidcStart({ returnTo }))).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    }
  });
});
