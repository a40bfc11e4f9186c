import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, StudioApiError } from '../src/index';

// The SDK talks HTTP; this test serves the API's documented /healthz responses from a real socket.
// The end-to-end run against the real API process lives in apps/api's tests.
let server: Server;
let base: string;
let ready = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ready ? { status: 'ok', uptimeSeconds: 1 } : { status: 'starting' }));
      return;
    }
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'authentication_failed', message: 'Sign in first', details: { reason: 'no_session' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createClient().health', () => {
  it('reports starting, then ok', async () => {
    const client = createClient({ url: base });
    ready = false;
    await expect(client.health()).resolves.toEqual({ status: 'starting' });
    ready = true;
    await expect(client.health()).resolves.toMatchObject({ status: 'ok' });
  });

  it('surfaces the F10 error shape as StudioApiError', async () => {
    const client = createClient({ url: base.replace(/\/?$/, '/'), fetch: (input, init) => fetch(new URL('/nope', String(input)), init) });
    const error = await client.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioApiError);
    expect(error).toMatchObject({ status: 401, error: 'authentication_failed', details: { reason: 'no_session' } });
  });
});
