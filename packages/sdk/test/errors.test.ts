// Every failure reaches the caller as a StudioApiError carrying the server's F10 problem, the tRPC
// code, the HTTP status and, for rate limits, the Retry-After seconds. Real API, real HTTP.
import { createServer } from 'node:net';
import { TRPCClientError } from '@trpc/client';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientOptionsError, createClient, isStudioApiError, StudioApiError, toStudioApiError } from '../src/index';
import { startTestApi, type TestApi } from './support/api';

async function rejectionOf(promise: Promise<unknown>): Promise<StudioApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStudioApiError(error)).toBe(true);
  return error as StudioApiError;
}

const newConnection = { workspaceSlug: 'twsbp', name: 'sdk-errors', type: 'mssql' as const, host: '10.20.30.40', port: 1433, database: 'd', user: 'u' };

describe.each(testTargets)('SDK errors on $name', (target) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(target);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('FORBIDDEN when a Viewer token tries to write', async () => {
    const viewer = createClient({ url: api.url, token: (await api.token('Viewer')).token });
    // Reading is allowed, so the refusal below is about the write, not the token.
    await expect(viewer.connections.list.query({ workspaceSlug: 'twsbp' })).resolves.toHaveProperty('items');
    const error = await rejectionOf(viewer.connections.create.mutate(newConnection));
    expect(error).toBeInstanceOf(StudioApiError);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', error: 'forbidden', status: 403, path: 'connections.create' });
    expect(error.problem).toEqual({ error: 'forbidden', message: error.message, details: expect.any(Object) });
    // Still a TRPCClientError with the server's shape, for tRPC-aware callers.
    expect(error.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, error: 'forbidden' });
  });

  it('BAD_REQUEST naming the field', async () => {
    const admin = createClient({ url: api.url, token: (await api.token('Admin')).token });
    const error = await rejectionOf(admin.connections.create.mutate({ ...newConnection, port: 99_999 }));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', status: 400 });
    expect(error.message).toMatch(/port/);
    expect(error.details.fields).toEqual([expect.objectContaining({ path: 'port' })]);
    expect(JSON.stringify(error)).not.toMatch(/stack/i);
  });

  it('UNAUTHORIZED once the token is revoked', async () => {
    const minted = await api.token('Member');
    const client = createClient({ url: api.url, token: minted.token });
    await expect(client.auth.me.query()).resolves.toMatchObject({ kind: 'token', token: { id: minted.id } });
    await api.admin.tokens.revoke.mutate({ workspaceSlug: 'twsbp', tokenId: minted.id });
    const error = await rejectionOf(client.auth.me.query());
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', error: 'unauthenticated', status: 401 });
    expect(error.message).toMatch(/revoked/);
  });

  it('NOT_FOUND for a connection of nobody', async () => {
    const client = createClient({ url: api.url, token: (await api.token('Admin')).token });
    const error = await rejectionOf(client.connections.get.query({ workspaceSlug: 'twsbp', connectionId: '00000000-0000-4000-8000-000000000000' }));
    expect(error).toMatchObject({ code: 'NOT_FOUND', error: 'not_found', status: 404 });
  });

  // A token spends the budget of the person who made it, so the burst runs on an API whose Admin
  // has spent nothing yet: the count below does not depend on what the other tests called.
  describe('with a budget nobody has spent', () => {
    let fresh: TestApi;

    beforeAll(async () => {
      fresh = await startTestApi(target);
    });

    afterAll(async () => {
      await fresh?.close();
    });

    it('TOO_MANY_REQUESTS with the seconds to wait once the list limit (60/min) is spent', async () => {
      const client = createClient({ url: fresh.url, token: (await fresh.token('Admin')).token });
      // 61 calls in one tick: batched, counted one by one by the server; exactly one is over the limit.
      const results = await Promise.allSettled(Array.from({ length: 61 }, () => client.connections.list.query({ workspaceSlug: 'twsbp' })));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(60);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toBeInstanceOf(StudioApiError);

      const error = await rejectionOf(client.connections.list.query({ workspaceSlug: 'twsbp' }));
      expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', status: 429, details: { bucket: 'list', limit: 60 } });
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
      // The same seconds the response's Retry-After header carries.
      const response = error.meta?.response as Response;
      expect(Number(response.headers.get('retry-after'))).toBe(error.retryAfterSeconds);

      // In one batch with the limited call, a call that failed for another reason has nothing to wait for.
      const [limited, missing] = await Promise.allSettled([
        client.connections.list.query({ workspaceSlug: 'twsbp' }),
        client.connections.get.query({ workspaceSlug: 'twsbp', connectionId: '00000000-0000-4000-8000-000000000000' }),
      ]);
      expect(limited).toMatchObject({ status: 'rejected', reason: { code: 'TOO_MANY_REQUESTS' } });
      expect(missing).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND', retryAfterSeconds: undefined } });
    });
  });
});

describe('SDK errors without a server', () => {
  it('NETWORK_ERROR when nothing listens at the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const client = createClient({ url: `http://127.0.0.1:${port}`, token: 'wss_unused' });
    const error = await rejectionOf(client.health.ping.query());
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', error: 'network_error', status: 0, retryAfterSeconds: undefined });
    expect(error.message).toMatch(/could not be reached/);
    expect(error.message).not.toContain('wss_unused');
  });

  it('toStudioApiError wraps anything and leaves a StudioApiError as it is', () => {
    const wrapped = toStudioApiError(new Error('socket hang up'), 'health.ping');
    expect(wrapped).toMatchObject({ code: 'NETWORK_ERROR', path: 'health.ping' });
    expect(wrapped.message).toContain('socket hang up');
    expect(toStudioApiError(wrapped)).toBe(wrapped);
    expect(isStudioApiError(new Error('x'))).toBe(false);
  });

  it('refuses unusable options, naming the option', () => {
    expect(() => createClient({ url: 'not a url' })).toThrow(ClientOptionsError);
    expect(() => createClient({ url: 'ftp://example.test' })).toThrow(/url/);
    expect(() => createClient({ url: 'http://127.0.0.1:1', token: 'has space' })).toThrow(/token/);
    // Both credentials: a type error too; checked at run time for JavaScript callers.
    const both = { url: 'http://127.0.0.1:1', token: 'wss_a', cookie: 'studio_session=b' } as unknown as Parameters<typeof createClient>[0];
    expect(() => createClient(both)).toThrow(/either token or cookie/);
  });
});
