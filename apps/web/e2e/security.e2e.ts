// The web UI's response headers in the built app: a Content-Security-Policy whose only inline
// scripts are the ones carrying this response's nonce, never framed, never cached; a form POST from
// another site refused with 403 before any action runs; and, in Chromium, pages that still hydrate
// and an API reference that still renders with no policy violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, startStack, type Stack } from './support';

describe('web UI security headers', () => {
  let stack: Stack;
  const violations: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: 'app', emulatorPassword: 'Security-e2e-Passw0rd', database: 'appdb' });
    stack.page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) violations.push(message.text());
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('an HTML page carries a nonce CSP, frame-ancestors none, nosniff, Referrer-Policy and no-store', async () => {
    const response = await fetch(`${stack.app.url}/sign-in`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Every inline script of the page carries this response's nonce; a second response gets another.
    const html = await response.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((match) => match[1] ?? '');
    expect(inline.length).toBeGreaterThan(0);
    for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
    const again = (await fetch(`${stack.app.url}/sign-in`)).headers.get('content-security-policy');
    expect(again).not.toContain(`'nonce-${nonce}'`);
  });

  it('a form POST from another origin is a 403 in the F10 shape, before the action runs', async () => {
    const forged = await fetch(`${stack.app.url}/sign-in`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/' }),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
    expect(await forged.json()).toMatchObject({ error: 'forbidden', message: expect.any(String), details: { reason: 'cross_origin' } });
    // The same post from the page's own origin signs in; a return address on another site is not followed.
    const own = await fetch(`${stack.app.url}/sign-in`, {
      method: 'POST',
      headers: { origin: stack.app.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, redirectTo: '//evil.example' }),
      redirect: 'manual',
    });
    expect(own.status).toBe(302);
    expect(own.headers.get('location')).toBe('/');
  });

  it('a return address that cannot be a path (control characters, beyond Latin-1) is a 400 naming redirectTo, and nobody is signed in', async () => {
    // What links with redirectTo=/%09/evil.example, %0A, %0D or raw non-Latin-1 text become in the form.
    for (const redirectTo of ['/\t/evil.example', '/w/twsbp\nSet-Cookie: x=1', '/w/twsbp\r', '/w/\u5de5\u4f5c']) {
      const refused = await fetch(`${stack.app.url}/sign-in`, {
        method: 'POST',
        headers: { origin: stack.app.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, redirectTo }),
        redirect: 'manual',
      });
      expect(refused.status, JSON.stringify(redirectTo)).toBe(400);
      expect(refused.headers.get('set-cookie')).toBeNull();
      expect(await refused.text()).toContain('The return address (redirectTo) must be a path on this site');
      // The same answer as data (what the page's own fetch reads): the F10 shape naming the field.
      const data = await fetch(`${stack.app.url}/sign-in?_data=routes%2Fsign-in`, {
        method: 'POST',
        headers: { origin: stack.app.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, redirectTo }),
        redirect: 'manual',
      });
      expect(data.status).toBe(400);
      expect(await data.json()).toMatchObject({ ok: false, problem: { error: 'invalid_input', details: { fields: [{ path: 'redirectTo' }] } } });
    }
  });

  it('a signed-in page carries the same headers: nonce CSP, frame-ancestors none, nosniff, Referrer-Policy, no-store', async () => {
    const signedIn = await fetch(`${stack.app.url}/sign-in`, {
      method: 'POST',
      headers: { origin: stack.app.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, redirectTo: '/w/twsbp' }),
      redirect: 'manual',
    });
    expect(signedIn.status).toBe(302);
    const cookie = signedIn.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^studio_session=\w+/);
    const page = await fetch(`${stack.app.url}/w/twsbp`, { headers: { cookie: cookie! }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('twsbp');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('in Chromium the pages hydrate and the API reference renders under the policy, with no violation', async () => {
    const { page } = stack;
    await page.goto('/sign-in');
    await heading(page, 'Sign in');
    // Remix's client router exists only once the nonce'd hydration scripts ran.
    await expect.poll(() => page.evaluate(() => typeof (window as { __remixRouter?: unknown }).__remixRouter)).toBe('object');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/w\/twsbp$/);

    await page.goto('/api/docs');
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toMatch(/\S/);
    expect(violations).toEqual([]);
  });
});
