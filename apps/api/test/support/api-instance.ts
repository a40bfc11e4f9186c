// One API "instance" over a set of services: the real HTTP front door (REST and tRPC) on a free
// port. Two of them over one system database stand in for two processes behind a load balancer.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRestHandler } from '../../src/rest/handler';
import { createApiHandler, createHttpServer } from '../../src/server';
import type { AppServices } from '../../src/services/index';

export interface ApiInstance {
  url: string;
  /** A REST call; `auth` is a session id (sent as the cookie) or an API token (sent as a bearer). */
  rest(method: string, path: string, auth: { session: string } | { token: string }, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function serveInstance(services: AppServices): Promise<ApiInstance> {
  const trustProxy = 0;
  const server = createHttpServer({
    ready: true,
    startedAt: new Date(),
    api: createApiHandler(services, { trustProxy }),
    rest: createRestHandler(services, { trustProxy }),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cookieName = services.sessions.lucia.sessionCookieName;
  return {
    url,
    rest(method, path, auth, body) {
      const headers: Record<string, string> = 'session' in auth ? { cookie: `${cookieName}=${auth.session}` } : { authorization: `Bearer ${auth.token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
