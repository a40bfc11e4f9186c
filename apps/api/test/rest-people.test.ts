// People and accounts over REST: documented in OpenAPI, served under /api/v1, people-only (an API
// token is refused with the F10 body), and the invite round trip with a session cookie.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const PATHS = {
  '/api/v1/users': ['get', 'post'],
  '/api/v1/users/{userId}': ['get', 'patch'],
  '/api/v1/users/{userId}/deactivate': ['post'],
  '/api/v1/users/{userId}/reactivate': ['post'],
  '/api/v1/users/{userId}/password-reset': ['post'],
  '/api/v1/me/password': ['post'],
  '/api/v1/me/sessions': ['get'],
  '/api/v1/me/sessions/{sessionId}': ['delete'],
  '/api/v1/invites/{token}/accept': ['post'],
  '/api/v1/audit': ['get'],
  '/api/v1/workspaces/{workspaceSlug}/members/invite': ['post'],
} as const;

describe.each(testTargets)('people over REST on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  });

  afterAll(async () => {
    await test?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('documents every people and account operation', async () => {
    const document = (await (await fetch(`${test.app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries(PATHS)) {
      for (const method of methods) expect(document.paths[path], `${method} ${path}`).toHaveProperty(method);
    }
  });

  it('refuses API tokens for people operations, with the F10 body', async () => {
    const token = await test.token('Owner');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${test.app.url}/api/v1/users`, { method: 'POST', headers, body: JSON.stringify({ username: 'by-token' }) });
    expect(created.status).toBe(403);
    expect(await created.json()).toMatchObject({ error: 'forbidden', details: { reason: 'session_required' } });
    const password = await fetch(`${test.app.url}/api/v1/me/password`, { method: 'POST', headers, body: JSON.stringify({ currentPassword: 'x', newPassword: 'yyyyyyyyyyyyyy' }) });
    expect(password.status).toBe(403);
    expect((await fetch(`${test.app.url}/api/v1/me/sessions`, { headers })).status).toBe(403);
    // Inviting a new member creates a person: no token may, even the workspace's Owner token.
    const invited = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/members/invite`, { method: 'POST', headers, body: JSON.stringify({ username: 'by-token', role: 'Member' }) });
    expect(invited.status).toBe(403);
    expect(await invited.json()).toMatchObject({ error: 'forbidden', details: { reason: 'insufficient_role' } });
  });

  it('an Admin session invites a new member of a workspace over REST: person, link and membership in one call', async () => {
    const signIn = await fetch(`${test.app.url}/trpc/auth.signIn`, post({ json: { username: 'admin', password: 'http-app-admin-password' } }));
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const bad = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/members/invite`, post({ username: 'rest-nadia', email: 'nope', role: 'Member' }, { cookie }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_input', details: { fields: [expect.objectContaining({ path: 'email' })] } });
    const invited = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/members/invite`, post({ username: 'rest-nadia', role: 'Viewer' }, { cookie }));
    expect(invited.status).toBe(200);
    const body = (await invited.json()) as { user: { username: string; status: string }; role: string; link: { token: string; path: string } };
    expect(body).toMatchObject({ user: { username: 'rest-nadia', status: 'invited' }, role: 'Viewer' });
    expect(body.link.path).toBe(`/invite/${body.link.token}`);
    const members = (await (await fetch(`${test.app.url}/api/v1/workspaces/twsbp/members`, { headers: { cookie } })).json()) as { items: { username: string; role: string }[] };
    expect(members.items.find((m) => m.username === 'rest-nadia')).toMatchObject({ role: 'Viewer' });
  });

  it('an Admin session creates a user with an invite link; the link sets the password once', async () => {
    const signIn = await fetch(`${test.app.url}/trpc/auth.signIn`, post({ json: { username: 'admin', password: 'http-app-admin-password' } }));
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;

    const created = await fetch(`${test.app.url}/api/v1/users`, post({ username: 'rest-maria', displayName: 'Maria' }, { cookie }));
    expect(created.status).toBe(200);
    const body = (await created.json()) as { user: { id: string; status: string }; link: { token: string; path: string } };
    expect(body.user.status).toBe('invited');

    const bad = await fetch(`${test.app.url}/api/v1/invites/${body.link.token}/accept`, post({ password: 'short' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_input', details: { field: 'password', rule: 'min_length' } });

    const accepted = await fetch(`${test.app.url}/api/v1/invites/${body.link.token}/accept`, post({ password: 'rest maria passphrase' }));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ username: 'rest-maria', kind: 'invite' });
    const again = await fetch(`${test.app.url}/api/v1/invites/${body.link.token}/accept`, post({ password: 'rest maria passphrase' }));
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'not_found', details: { field: 'token' } });

    const person = await fetch(`${test.app.url}/api/v1/users/${body.user.id}`, { headers: { cookie } });
    expect(await person.json()).toMatchObject({ status: 'active', signIn: 'password' });
    const sessions = (await (await fetch(`${test.app.url}/api/v1/me/sessions`, { headers: { cookie } })).json()) as { items: { current: boolean }[] };
    expect(sessions.items.filter((s) => s.current)).toHaveLength(1);
  });
});
