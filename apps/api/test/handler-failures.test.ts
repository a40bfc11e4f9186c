// Every request handler of the HTTP front door is settled by it: whatever a handler fails with that
// it did not answer itself (a rejected promise, or a synchronous throw) becomes a 500 in the F10
// shape and one log line, the cause never reaches the client, and the process keeps answering.
// One failing handler per kind of route: /readyz, /trpc, REST and the mounted web UI.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import type { ReadinessCheck } from '../src/readiness';
import { createHttpServer, type ReadinessState } from '../src/server';

const CAUSE = 'handler-failure-cause-3f9a';

describe('a handler that fails unexpectedly', () => {
  const lines: string[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const state: ReadinessState = {
      ready: true,
      startedAt: new Date(),
      readiness: { check: () => Promise.reject(new Error(`${CAUSE} readiness`)) } as unknown as ReadinessCheck,
      api: () => Promise.reject(new Error(`${CAUSE} trpc`)),
      rest: () => Promise.reject(new Error(`${CAUSE} rest`)),
    };
    const fallback = (): void => {
      throw new Error(`${CAUSE} web`);
    };
    server = createHttpServer(state, fallback, { logger: createLogger('error', sink) });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each([
    ['/readyz', '/readyz'],
    ['/trpc/health.check', '/trpc/'],
    ['/api/v1/workspaces', '/api/v1/workspaces'],
    ['/some/web/page', '(fallback)'],
  ])('GET %s answers 500 in the F10 shape, logs the failure once, and the process keeps answering', async (path, route) => {
    const before = lines.length;
    // A handler whose failure nobody settles never answers: the timeout turns that into a failure here.
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal_error', message: 'Internal server error', details: {} });
    expect(text).not.toContain(CAUSE);
    const logged = lines.slice(before).filter((line) => line.includes('unhandled error in request handler'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(CAUSE);
    expect(logged[0]).toContain(route);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
