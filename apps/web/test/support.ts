// What the route tests share: an app started on a temporary PGlite with seeded passwords, its
// Remix load context, and calling a loader or action with a Request as the browser sends it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppLoadContext } from '@remix-run/node';
import { loadEnv, startApp, type RunningApp } from '@studio/api';
import { afterAll, beforeAll, expect } from 'vitest';
import * as signIn from '../app/routes/sign-in';

export const ORIGIN = 'http://studio.test';

export type RouteFn = (args: { request: Request; context: AppLoadContext; params: Record<string, string> }) => Promise<Response> | Response;

/** Calls a loader/action; a thrown Response (redirect, error boundary) is returned like a returned one. */
export async function callRoute(fn: RouteFn, context: AppLoadContext, request: Request, params: Record<string, string> = {}): Promise<Response> {
  try {
    return await fn({ request, context, params });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** A GET, or with `form` a same-origin form POST (the session check wants the Origin header). */
export function routeRequest({ path, form, cookie, origin = ORIGIN }: { path: string; form?: Record<string, string>; cookie?: string; origin?: string }): Request {
  const headers = new Headers({ host: new URL(ORIGIN).host });
  if (cookie) headers.set('cookie', cookie);
  if (form) headers.set('origin', origin);
  return new Request(`${ORIGIN}${path}`, form ? { method: 'POST', headers, body: new URLSearchParams(form) } : { headers });
}

export interface RouteApp {
  app: RunningApp;
  context: AppLoadContext;
  close(): Promise<void>;
}

/** The app in its own data folder; `env` adds settings (seed passwords, OIDC) to the test defaults. */
export async function startRouteApp({ name, env, userAgent, ip = '198.51.100.9' }: { name: string; env: Record<string, string>; userAgent: string; ip?: string }): Promise<RouteApp> {
  const dataDir = await mkdtemp(join(tmpdir(), `studio-web-${name}-`));
  const app = await startApp(loadEnv({ NODE_ENV: 'test', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', DEMO_MSSQL: 'false', ...env }), { announce: () => undefined });
  return {
    app,
    context: { studio: { services: app.services, requestMeta: { ip, userAgent, tls: false } } },
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One started app for a route-test file (started in beforeAll, closed in afterAll), with `call`
 * for a loader or action and `sessionCookie` for a password sign-in through the sign-in action.
 */
export function routeTestApp(options: { name: string; env: Record<string, string>; userAgent: string }) {
  let stack: RouteApp | undefined;
  beforeAll(async () => {
    stack = await startRouteApp(options);
  });
  afterAll(async () => {
    await stack?.close();
  });
  const call = (fn: RouteFn, args: Parameters<typeof routeRequest>[0] & { params?: Record<string, string> }): Promise<Response> =>
    callRoute(fn, stack!.context, routeRequest(args), args.params);
  const sessionCookie = async (username: string, password: string): Promise<string> => {
    const response = await call(signIn.action as RouteFn, { path: '/sign-in', form: { username, password, redirectTo: '/' } });
    expect(response.status).toBe(302);
    return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  };
  return { call, sessionCookie };
}
