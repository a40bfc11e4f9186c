/**
 * Typed client for the workspace studio API. The tRPC client (AppRouter types, batching, superjson)
 * joins this package with the API issue; today it covers the process-level endpoints.
 */
export interface ClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:3000 */
  url: string;
  /** API token (sent as a bearer token). */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

export interface HealthStatus {
  status: 'ok' | 'starting';
  uptimeSeconds?: number;
}

/** The error shape of every API failure (MISSION F10). */
export class StudioApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'StudioApiError';
  }
}

export interface StudioClient {
  health(): Promise<HealthStatus>;
}

export function createClient(options: ClientOptions): StudioClient {
  const base = new URL(options.url);
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  return {
    async health() {
      const response = await doFetch(new URL('/healthz', base), { headers });
      const body = (await response.json()) as HealthStatus & { error?: string; message?: string; details?: Record<string, unknown> };
      if (response.status === 200 || response.status === 503) return body;
      throw new StudioApiError(response.status, body.error ?? 'unknown_error', body.message ?? response.statusText, body.details ?? {});
    },
  };
}
