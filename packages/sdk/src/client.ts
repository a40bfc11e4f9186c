// createClient(): the typed tRPC client internal services use to call the API. Calls made in the
// same tick share one HTTP request (httpBatchLink); dates and other rich values survive the wire
// (superjson, the server's transformer); every failure arrives as a StudioApiError.
import { createTRPCClient, httpBatchLink, type TRPCClient, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import superjson from 'superjson';
import type { AppRouter } from '@studio/api';
import { toStudioApiError } from './errors';

export type StudioClient = TRPCClient<AppRouter>;

type HeaderRecord = Record<string, string>;

interface CommonOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000` (the client calls `<url>/trpc`). */
  url: string;
  /** A fetch to use instead of the global one (proxies, instrumentation, tests). */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers, or a function returning them per request (e.g. a trace id). */
  headers?: HeaderRecord | (() => HeaderRecord | Promise<HeaderRecord>);
}

/**
 * Who calls: an API token (`wss_…`, sent as a bearer token), or a signed-in user's `Cookie` header
 * value (`studio_session=…`) for a service acting on behalf of a browser session; neither for
 * anonymous calls (`auth.signIn`, `health.ping`). Never both.
 */
export type ClientOptions = CommonOptions & ({ token: string; cookie?: undefined } | { cookie: string; token?: undefined } | { token?: undefined; cookie?: undefined });

/** createClient was given options it cannot work with; `field` names the option. */
export class ClientOptionsError extends Error {
  readonly code = 'invalid_client_options';
  constructor(
    readonly field: keyof ClientOptions,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ClientOptionsError';
  }
}

/** GET batches carry their inputs in the URL; longer ones are split so no server or proxy refuses them. */
const MAX_URL_LENGTH = 4_096;

function endpointOf(url: string): string {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new ClientOptionsError('url', 'must be an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ClientOptionsError('url', 'must be an absolute http(s) URL');
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  return new URL('trpc', base).toString();
}

function credentialHeaders(options: ClientOptions): HeaderRecord {
  if (options.token !== undefined && options.cookie !== undefined) throw new ClientOptionsError('token', 'give either token or cookie, not both');
  if (options.token !== undefined) {
    if (!/^\S+$/.test(options.token)) throw new ClientOptionsError('token', 'must be a non-empty token without spaces');
    return { authorization: `Bearer ${options.token}` };
  }
  if (options.cookie !== undefined) {
    if (options.cookie.trim() === '' || /[\r\n]/.test(options.cookie)) throw new ClientOptionsError('cookie', 'must be a non-empty Cookie header value');
    return { cookie: options.cookie };
  }
  return {};
}

/** Turns every error leaving the link chain into a StudioApiError (the client passes it through as is). */
const studioErrorLink: TRPCLink<AppRouter> =
  () =>
  ({ next, op }) =>
    observable((observer) => {
      const subscription = next(op).subscribe({
        next: (value) => observer.next(value),
        error: (error) => observer.error(toStudioApiError(error, op.path)),
        complete: () => observer.complete(),
      });
      return () => subscription.unsubscribe();
    });

/**
 * A typed client for the whole API (`client.connections.list.query({ workspaceSlug })`). Credentials
 * are sent on every request and take precedence over same-named entries in `headers`.
 */
export function createClient(options: ClientOptions): StudioClient {
  const url = endpointOf(options.url);
  const credentials = credentialHeaders(options);
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new ClientOptionsError('fetch', 'must be a function');
  const extraHeaders = options.headers;
  return createTRPCClient<AppRouter>({
    links: [
      studioErrorLink,
      httpBatchLink({
        url,
        transformer: superjson,
        maxURLLength: MAX_URL_LENGTH,
        ...(options.fetch && { fetch: options.fetch }),
        async headers() {
          const extra = typeof extraHeaders === 'function' ? await extraHeaders() : (extraHeaders ?? {});
          return { ...extra, ...credentials };
        },
      }),
    ],
  });
}
