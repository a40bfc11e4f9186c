// The real server: tRPC over HTTP with superjson, lucia cookies, bearer tokens, the F10 error
// shape in `error.data`, and Retry-After on 429.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { testTargets } from '@studio/db/testing';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../src/app';
import { loadEnv } from '../src/env';
import { createLogger } from '../src/logger';
import { KeyRing } from '../src/services/crypto';
import type { AppRouter } from '../src/routers/_app';

const ADMIN_PASSWORD = 'http-test-admin-password';

function clientFor(url: string, options: { headers?: Record<string, string>; jar?: { cookie?: string; setCookies: string[] } } = {}) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers: () => ({ ...options.headers, ...(options.jar?.cookie ? { cookie: options.jar.cookie } : {}) }),
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const jar = options.jar;
          if (jar) {
            for (const header of response.headers.getSetCookie()) {
              jar.setCookies.push(header);
              jar.cookie = header.split(';')[0];
            }
          }
          return response;
        },
      }),
    ],
  });
}

async function dataOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return (error as TRPCClientError<AppRouter>).data as Record<string, unknown>;
}

describe.each(testTargets)('HTTP API on $name', (target) => {
  let app: RunningApp;
  let dataDir: string;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'studio-http-'));
    let url: string | undefined;
    if (target.name === 'postgres') {
      const fresh = await target.create();
      url = fresh.url;
      await fresh.database.close();
      dispose = () => fresh.dispose();
    }
    const env = loadEnv({
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SEED_USER_PASSWORD: 'http-test-user-password',
      TRUST_PROXY: 'true',
      DEMO_MSSQL: 'false',
      ...(url ? { DATABASE_URL: url, AUTO_MIGRATE: 'true', AUTO_SEED: 'true', ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}` } : {}),
    });
    app = await startApp(env, { logger: createLogger('silent'), announce: () => undefined });
  });

  afterAll(async () => {
    await app?.close();
    await dispose?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  // On the embedded database the app makes its own key; on a shared PostgreSQL every instance
  // must take ENCRYPTION_KEYS (it refuses to start without), so none is generated.
  it.runIf(target.name === 'pglite')('keeps a generated development key in DATA_DIR, readable only by its owner', async () => {
    const info = await stat(join(dataDir, 'encryption-keys'));
    expect(info.mode & 0o777).toBe(0o600);
  });

  it.runIf(target.name === 'postgres')('generates no key of its own on a shared database (ENCRYPTION_KEYS is the key ring)', async () => {
    await expect(stat(join(dataDir, 'encryption-keys'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('signs in with an HttpOnly cookie, uses it, mints a token that works as a bearer, and signs out', async () => {
    const jar: { cookie?: string; setCookies: string[] } = { setCookies: [] };
    const web = clientFor(app.url, { jar });
    const signedIn = await web.auth.signIn.mutate({ username: 'admin', password: ADMIN_PASSWORD });
    expect(signedIn.user.username).toBe('admin');
    expect(signedIn.expiresAt).toBeInstanceOf(Date);
    expect(jar.setCookies[0]).toMatch(/^studio_session=[^;]+;.*HttpOnly/i);
    expect(jar.setCookies[0]).toMatch(/SameSite=Lax/i);
    expect(jar.setCookies[0]).not.toMatch(/Secure/i);

    expect(await web.auth.me.query()).toMatchObject({ kind: 'user', user: { username: 'admin' } });
    const [workspace] = (await web.workspaces.listMine.query()).items;
    expect(workspace).toMatchObject({ slug: 'twsbp', role: 'Owner' });

    const { token } = await web.tokens.create.mutate({ workspaceSlug: 'twsbp', name: 'http', role: 'Admin' });
    const service = clientFor(app.url, { headers: { authorization: `Bearer ${token}` } });
    const created = await service.connections.create.mutate({
      workspaceSlug: 'twsbp',
      name: 'over-http',
      type: 'mssql',
      host: '10.0.0.5',
      port: 1433,
      database: 'd',
      user: 'sa',
      password: 'http-secret-pw',
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(created)).not.toContain('http-secret-pw');
    expect((await service.connections.list.query({ workspaceSlug: 'twsbp' })).items.map((c) => c.name)).toContain('over-http');

    await web.auth.signOut.mutate();
    expect(jar.setCookies.at(-1)).toMatch(/Max-Age=0/i);
    const after = await dataOf(clientFor(app.url, { headers: { cookie: jar.setCookies[0]!.split(';')[0]! } }).auth.me.query());
    expect(after).toMatchObject({ error: 'unauthenticated', code: 'UNAUTHORIZED', httpStatus: 401 });
  });

  it('marks the cookie Secure behind a TLS-terminating proxy, and ignores it from another origin', async () => {
    const jar: { cookie?: string; setCookies: string[] } = { setCookies: [] };
    await clientFor(app.url, { jar, headers: { 'x-forwarded-proto': 'https' } }).auth.signIn.mutate({ username: 'admin', password: ADMIN_PASSWORD });
    expect(jar.setCookies[0]).toMatch(/; Secure/i);
    const crossSite = clientFor(app.url, { headers: { cookie: jar.cookie!, origin: 'https://evil.example' } });
    expect(await dataOf(crossSite.workspaces.create.mutate({ name: 'x', slug: 'cross-site' }))).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('delivers the F10 shape over HTTP: bad input, bad token', async () => {
    const jar: { cookie?: string; setCookies: string[] } = { setCookies: [] };
    const web = clientFor(app.url, { jar });
    await web.auth.signIn.mutate({ username: 'admin', password: ADMIN_PASSWORD });
    const bad = await dataOf(
      web.connections.create.mutate({ workspaceSlug: 'twsbp', name: 'bad', type: 'mssql', host: '10.0.0.5', port: 99_999, database: 'd', user: 'u' }),
    );
    expect(bad).toMatchObject({
      error: 'invalid_input',
      code: 'BAD_REQUEST',
      httpStatus: 400,
      details: { fields: [expect.objectContaining({ path: 'port' })] },
    });
    expect(bad.message).toMatch(/port/);
    expect(bad).not.toHaveProperty('stack');

    const wrongToken = await dataOf(clientFor(app.url, { headers: { authorization: 'Bearer wss_nope' } }).auth.me.query());
    expect(wrongToken).toMatchObject({ error: 'unauthenticated', httpStatus: 401 });
  });

  it('answers 429 with Retry-After when a limit is hit', async () => {
    const signIn = () =>
      fetch(`${app.url}/trpc/auth.signIn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.44' },
        body: JSON.stringify({ json: { username: 'user', password: 'wrong-password' } }),
      });
    for (let i = 0; i < 10; i += 1) expect((await signIn()).status).toBe(401);
    const limited = await signIn();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as { error: { json: { data: Record<string, unknown> } } };
    expect(body.error.json.data).toMatchObject({ error: 'rate_limited', details: { bucket: 'signIn' } });
  });
});
