import { hash, timingSafeEqual } from 'node:crypto';
import type { TRPCError } from '@trpc/server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { incomingMessageToRequest, internal_exceptionHandler } from '@trpc/server/adapters/node-http';
import { resolveResponse } from '@trpc/server/http';
import { createHttpContextFactory } from './context';
import type { Logger } from 'pino';
import { GENERIC_INTERNAL, problemOf, retryAfterOf, toTRPCError } from './errors';
import { setApiHeaders, setDocsHeaders } from './http-security';
import type { Problem } from './problem';
import type { ApiMetrics } from './metrics';
import type { ReadinessCheck } from './readiness';
import { ApiDocs, OPENAPI_PATH } from './rest/docs';
import { createOpenApiDocument } from './rest/document';
import type { RestHandler } from './rest/handler';
import { collectRestRoutes, RestRouteTable } from './rest/routes';
import { appRouter } from './routers/_app';
import type { AppServices } from './services/index';
import { rateLimitHeaders } from './services/rate-limits';
import type { TrustProxy } from './trust-proxy';

export interface ReadinessState {
  ready: boolean;
  startedAt: Date;
  /** Set once the system database is ready; until then /trpc and /api/v1 answer 503. */
  api?: ApiHandler | undefined;
  /** The REST routes' handler, set together with `api`. */
  rest?: RestHandler | undefined;
  /** What /readyz asks (system database + migrations); until set, /readyz answers 503 "starting". */
  readiness?: ReadinessCheck | undefined;
}

/** Serves every request the API does not route (the web UI mounts itself here). */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => void;

export type ApiHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export interface HttpServerOptions {
  /** Request, error, pool and rate-limit metrics served at /metrics; without it /metrics is 404. */
  metrics?: ApiMetrics | undefined;
  /** When set, /metrics wants `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken?: string | undefined;
  /** Where a handler's unexpected failure is logged (it is answered as a 500 either way). */
  logger?: Logger | undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const TRPC_PREFIX = '/trpc/';
const REST_PREFIX = '/api/v1/';

const starting: Problem = { error: 'starting', message: 'The API is starting; retry shortly', details: {} };

const MAX_TRPC_BODY_BYTES = 1_048_576;

/**
 * tRPC over node:http: tRPC's own request resolution (`resolveResponse`, what its adapters are
 * built on), with the answer written here. tRPC's node adapter pipes every answer through a web
 * WritableStream in chunked encoding (two writes); a JSON answer is whole once resolved, so it goes
 * out in one write with its length. Streamed answers (a client asking for JSON lines) still stream.
 * Session cookies collected in the context, Retry-After for rate-limited calls and the RateLimit-*
 * headers of limited calls are added in responseMeta, tRPC's one hook on response headers.
 */
export function createApiHandler(services: AppServices, options: { trustProxy: TrustProxy; onProblem?: (problem: Problem) => void }): ApiHandler {
  const createContextOf = createHttpContextFactory(services, options);
  const onError = ({ error }: { error: TRPCError }) => options.onProblem?.(problemOf(error));
  return async (req, res, path) => {
    try {
      const request = incomingMessageToRequest(req, res, { maxBodySize: MAX_TRPC_BODY_BYTES });
      const response = await resolveResponse({
        router: appRouter,
        req: request,
        path,
        error: null,
        // Mapped here because tRPC answers a context failure with 500 whatever it was (e.g. the
        // session lookup when the system database is down, which is a 503).
        createContext: ({ info }) =>
          createContextOf({ req, res, info }).catch((error: unknown) => {
            throw toTRPCError(error, { logger: services.logger, outages: services.outages });
          }),
        onError,
        responseMeta({ ctx, errors }) {
          const cookies = ctx?.sessionCookies.setCookieHeaders ?? [];
          const retryAfter = errors.map(retryAfterOf).find((seconds) => seconds !== undefined);
          const decision = ctx?.rateLimits.decision;
          if (cookies.length === 0 && retryAfter === undefined && decision === undefined) return {};
          const headers = new Headers(rateLimitHeaders(decision));
          for (const cookie of cookies) headers.append('set-cookie', cookie);
          if (retryAfter !== undefined) headers.set('retry-after', String(retryAfter));
          return { headers };
        },
      });
      await writeFetchResponse(res, response, request.signal);
    } catch (cause) {
      // What tRPC's adapter answers when resolving itself throws: the formatted error, or end().
      internal_exceptionHandler({ req, res, path, router: appRouter, createContext: createContextOf, onError })(cause);
    }
  };
}

/** A resolved tRPC answer onto the node response: whole JSON in one write, anything else streamed. */
async function writeFetchResponse(res: ServerResponse, response: Response, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...headers, 'content-length': body.length }).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  // A reader, not `for await`: the web app type-checks this file against the DOM's ReadableStream,
  // which declares no async iterator.
  const reader = response.body.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (signal.aborted || res.destroyed) break;
      if (!res.write(next.value)) await new Promise((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    res.end();
  }
}

const procedurePaths = new Set(Object.keys(appRouter._def.procedures));

/** The metrics labels of a tRPC request: one per procedure of a batch, never raw input. */
function trpcRoutes(path: string): string[] {
  return path.split(',').map((procedure) => (procedurePaths.has(procedure) ? `/trpc/${procedure}` : '/trpc/(unknown)'));
}

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

function bearerMatches(header: string | undefined, expected: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The HTTP front door: /healthz, /readyz, /metrics, /trpc, REST under /api/v1 with its OpenAPI
 * document and reference page. Anything else goes to `fallback` when given (the web UI, in the same
 * process), else 404.
 */
export function createHttpServer(state: ReadinessState, fallback?: FallbackHandler, options: HttpServerOptions = {}): Server {
  // Built before listening: a procedure whose openapi meta is wrong stops startup, not a request.
  const routes = new RestRouteTable(collectRestRoutes(appRouter));
  const openApiDocument = JSON.stringify(createOpenApiDocument(routes.routes, { version: 'v1' }));
  const docs = new ApiDocs();
  const { metrics, metricsToken, logger } = options;

  /**
   * A handler that failed in a way it did not answer itself: a 500 in the F10 shape and a log line.
   * Never rethrown: one request must not be able to end the process.
   */
  const failed = (res: ServerResponse, route: string | string[], error: unknown): void => {
    logger?.error({ err: error, route }, 'unhandled error in request handler');
    if (!res.headersSent) sendJson(res, 500, GENERIC_INTERNAL);
    else res.destroy();
  };

  return createServer((req: IncomingMessage, res: ServerResponse) => {
    let route: string | string[] = '(fallback)';
    const settle = (promise: Promise<unknown>): void => {
      promise.catch((error: unknown) => failed(res, route, error));
    };
    try {
      route = routeRequest(req, res, settle);
    } catch (error) {
      failed(res, route, error);
    }
  });

  /** Answers one request or hands it to a handler (through `settle`); returns its metrics label. */
  function routeRequest(
    req: IncomingMessage,
    res: ServerResponse,
    settle: (promise: Promise<unknown>) => void,
  ): string | string[] {
    let route: string | string[] = '(fallback)';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const pathname = url.pathname;
    metrics?.observe(req, res, () => route);
    if (fallback === undefined || !isWebPath(pathname)) setApiHeaders(res);
    const answer = (): string | string[] => route;

    if (pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      route = '/healthz';
      if (state.ready) {
        sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000) });
      } else {
        sendJson(res, 503, { status: 'starting' });
      }
      return answer();
    }
    if (pathname === '/readyz' && (method === 'GET' || method === 'HEAD')) {
      route = '/readyz';
      const readiness = state.ready ? state.readiness : undefined;
      if (!readiness) {
        sendJson(res, 503, { ...starting, details: { reason: 'starting' } });
        return answer();
      }
      settle(
        readiness.check().then((result) => {
          if (result.ready) {
            // Still routable (it answers every call), but an operator should know what is missing.
            const degraded = result.degraded.length > 0;
            sendJson(res, 200, { status: degraded ? 'degraded' : 'ready', migrations: result.migrations, ...(degraded && { degraded: result.degraded }) });
          }
          else sendJson(res, 503, result.problem);
        }),
      );
      return answer();
    }
    if (pathname === '/metrics' && metrics && method === 'GET') {
      route = '/metrics';
      if (metricsToken !== undefined && !bearerMatches(req.headers.authorization, metricsToken)) {
        sendJson(res, 401, { error: 'unauthenticated', message: 'Present the metrics token: Authorization: Bearer <METRICS_TOKEN>', details: {} }, { 'www-authenticate': 'Bearer' });
        return answer();
      }
      settle(metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        },
        () => sendJson(res, 500, { error: 'internal_error', message: 'Metrics could not be collected', details: {} }),
      ));
      return answer();
    }
    if (pathname.startsWith(TRPC_PREFIX)) {
      const path = pathname.slice(TRPC_PREFIX.length);
      route = trpcRoutes(path);
      if (!state.ready || !state.api) {
        sendJson(res, 503, starting);
        return answer();
      }
      settle(state.api(req, res, path));
      return answer();
    }
    if (pathname === OPENAPI_PATH && method === 'GET') {
      route = OPENAPI_PATH;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(openApiDocument) });
      res.end(openApiDocument);
      return answer();
    }
    if (docs.handles(pathname) && method === 'GET') {
      route = '/api/docs';
      setDocsHeaders(res);
      settle(docs.serve(pathname, res));
      return answer();
    }
    if (pathname.startsWith(REST_PREFIX)) {
      const { match, allowed } = routes.match(method, pathname);
      if (!match) {
        route = '/api/v1/(unmatched)';
        const problem: Problem =
          allowed.length > 0
            ? { error: 'method_not_allowed', message: `${method} is not allowed on ${pathname}; use ${allowed.join(', ')}`, details: { allowed } }
            : { error: 'not_found', message: `No REST route for ${method} ${pathname}; see ${OPENAPI_PATH}`, details: {} };
        metrics?.problem(problem, 'rest');
        sendJson(res, allowed.length > 0 ? 405 : 404, problem, allowed.length > 0 ? { allow: allowed.join(', ') } : {});
        return answer();
      }
      route = match.route.template;
      if (!state.ready || !state.rest) {
        sendJson(res, 503, starting);
        return answer();
      }
      settle(state.rest(req, res, match, url));
      return answer();
    }
    if (fallback) {
      settle(Promise.resolve().then(() => fallback(req, res)));
      return answer();
    }
    route = '(unmatched)';
    sendJson(res, 404, { error: 'not_found', message: `No route for ${method} ${pathname}`, details: {} });
    return answer();
  }
}

/** Paths the API does not own: with a web UI mounted, its pages set their own headers. */
function isWebPath(pathname: string): boolean {
  return !(
    pathname === '/healthz' ||
    pathname === '/readyz' ||
    pathname === '/metrics' ||
    pathname.startsWith(TRPC_PREFIX) ||
    pathname.startsWith('/api/')
  );
}
