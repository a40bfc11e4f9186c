import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { createHttpContextFactory } from './context';
import { retryAfterOf } from './errors';
import { appRouter } from './routers/_app';
import type { AppServices } from './services/index';

export interface ReadinessState {
  ready: boolean;
  startedAt: Date;
  /** Set once the system database is ready; until then /trpc answers 503. */
  api?: ApiHandler | undefined;
}

/** Serves every request the API does not route (the web UI mounts itself here). */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => void;

export type ApiHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const TRPC_PREFIX = '/trpc/';

/**
 * tRPC over node:http. Session cookies collected in the context and Retry-After for rate-limited
 * calls are added in responseMeta, the adapter's one hook on response headers.
 */
export function createApiHandler(services: AppServices, options: { trustProxy: boolean }): ApiHandler {
  const createContext = createHttpContextFactory(services, options);
  return (req, res, path) =>
    nodeHTTPRequestHandler({
      req,
      res,
      path,
      router: appRouter,
      createContext,
      maxBodySize: 1_048_576,
      responseMeta({ ctx, errors }) {
        const headers = new Headers();
        for (const cookie of ctx?.sessionCookies.setCookieHeaders ?? []) headers.append('set-cookie', cookie);
        const retryAfter = errors.map(retryAfterOf).find((seconds) => seconds !== undefined);
        if (retryAfter !== undefined) headers.set('retry-after', String(retryAfter));
        return { headers };
      },
    });
}

/**
 * The HTTP front door: /healthz, /trpc; REST and metrics land here as they arrive. Anything else
 * goes to `fallback` when given (the web UI, in the same process), else 404.
 */
export function createHttpServer(state: ReadinessState, fallback?: FallbackHandler): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      if (state.ready) {
        sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000) });
      } else {
        sendJson(res, 503, { status: 'starting' });
      }
      return;
    }
    if (url.pathname.startsWith(TRPC_PREFIX)) {
      if (!state.ready || !state.api) {
        sendJson(res, 503, { error: 'starting', message: 'The API is starting; retry shortly', details: {} });
        return;
      }
      void state.api(req, res, url.pathname.slice(TRPC_PREFIX.length));
      return;
    }
    if (fallback) {
      fallback(req, res);
      return;
    }
    sendJson(res, 404, { error: 'not_found', message: `No route for ${req.method ?? 'GET'} ${url.pathname}`, details: {} });
  });
}
