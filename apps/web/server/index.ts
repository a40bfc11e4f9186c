// One process, one URL: the API (startApp) owns the HTTP server and routes /healthz, /trpc and
// /api/*; every other request falls through to this express app, which serves the Remix UI and
// its static assets. Loaders reach the API through the load context (services + request meta).
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import { requestMetaOf, startApp, type Env, type RunningApp, type StartAppOptions } from '@studio/api';
import express from 'express';
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
  web.set('trust proxy', env.TRUST_PROXY);

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
    getLoadContext: (req): { studio: StudioContext } => ({
      studio: { services: running!.services, requestMeta: requestMetaOf(req, env.TRUST_PROXY) },
    }),
  });
  web.all('*', (req, res, next) => {
    // The API listens before the system database is ready; the UI needs it for every page.
    if (!running) {
      res.status(503).set('retry-after', '2').type('text/plain').send('Workspace Studio is starting; reload in a moment.');
      return;
    }
    void remix(req, res, next);
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
