import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReadinessState {
  ready: boolean;
  startedAt: Date;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** The HTTP front door. Routes are added here as the API grows (tRPC, REST, metrics). */
export function createHttpServer(state: ReadinessState): Server {
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
    sendJson(res, 404, { error: 'not_found', message: `No route for ${req.method ?? 'GET'} ${url.pathname}`, details: {} });
  });
}
