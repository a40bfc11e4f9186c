// One process, one URL: the API (startApp) owns the HTTP server and routes /healthz, /trpc and
// /api/*; every other request falls through to this express app, which serves the Remix UI and
// its static assets. Loaders reach the API through the load context (services + request meta).
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { AppLoadContext, ServerBuild } from '@remix-run/node';
import { createCspNonce, isSameOriginRequest, requestMetaOf, startApp, trustFunctionOf, webSecurityHeaders, type Env, type RunningApp, type StartAppOptions } from '@studio/api';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ViteDevServer } from 'vite';
import type { StudioContext } from '../app/lib/api.server';
import { ensureBuilt } from './build';

export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface StartStudioOptions extends Omit<StartAppOptions, 'fallback'> {
  env: Env;
  /** production: the built app (built first when stale); development: Vite in middleware mode. */
  mode: 'production' | 'development';
  webRoot?: string;
}

export async function startStudio(options: StartStudioOptions): Promise<RunningApp> {
  const { env, mode, webRoot = WEB_ROOT, ...appOptions } = options;
  const web = express();
  web.disable('x-powered-by');
  // The same trust as the API's, so req.ip, req.protocol and the UI's audit addresses agree with /trpc.
  const trust = trustFunctionOf(env.TRUST_PROXY);
  web.set('trust proxy', trust);

  let vite: ViteDevServer | undefined;
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (mode === 'development') {
    const { createServer } = await import('vite');
    vite = await createServer({ root: webRoot, server: { middlewareMode: true }, appType: 'custom' });
    web.use(vite.middlewares);
    const dev = vite;
    build = () => dev.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>;
  } else {
    await ensureBuilt(webRoot, appOptions.announce ?? ((line) => process.stdout.write(`${line}\n`)));
    web.use('/assets', express.static(join(webRoot, 'build', 'client', 'assets'), { immutable: true, maxAge: '1y' }));
    web.use(express.static(join(webRoot, 'build', 'client'), { maxAge: '1h' }));
    build = (await import(pathToFileURL(join(webRoot, 'build', 'server', 'index.js')).href)) as ServerBuild;
  }

  let running: RunningApp | undefined;
  const remix = createRequestHandler({
    build,
    mode,
    getLoadContext: (req, res): AppLoadContext => {
      const studio: StudioContext = { services: running!.services, requestMeta: requestMetaOf(req, trust) };
      return { studio, cspNonce: String(res.locals.cspNonce) };
    },
  });
  web.all('*', (req, res, next) => {
    const nonce = createCspNonce();
    res.locals.cspNonce = nonce;
    res.set(webSecurityHeaders(nonce, { development: mode === 'development' }));
    // The API listens before the system database is ready; the UI needs it for every page.
    if (!running) {
      res.status(503).set('retry-after', '2').type('text/plain').send('Workspace Studio is starting; reload in a moment.');
      return;
    }
    const refusal = crossOriginRefusal(req);
    if (refusal) {
      res.status(403).json(refusal);
      return;
    }
    remix(req, res, next).catch(next);
  });
  // Last: whatever a page or action threw that Remix did not answer. Express's own handler would
  // print the stack into the page outside production; this answers the F10 shape and logs.
  web.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    running?.logger.error({ err: error }, 'unhandled error in web request');
    if (res.headersSent) {
      next(error);
      return;
    }
    res.status(500).json({ error: 'internal_error', message: 'Internal server error', details: {} });
  });

  try {
    running = await startApp(env, { ...appOptions, fallback: (req, res) => web(req, res) });
  } catch (error) {
    await vite?.close();
    throw error;
  }
  const app = running;
  return {
    ...app,
    async close() {
      await app.close();
      await vite?.close();
    },
  };
}

/**
 * A state-changing request a page of another site made the browser send (a form POST, a fetch):
 * refused before any action runs. Requests without an Origin header (older browsers on same-origin
 * forms, non-browser clients) are left to the session check, which never trusts a cookie for them
 * across origins either.
 */
function crossOriginRefusal(req: Request): { error: string; message: string; details: Record<string, unknown> } | null {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return null;
  const origin = req.headers.origin;
  if (origin === undefined || isSameOriginRequest({ method: req.method, origin, host: req.headers.host })) return null;
  return { error: 'forbidden', message: 'Cross-origin requests cannot change anything here', details: { reason: 'cross_origin', origin } };
}
