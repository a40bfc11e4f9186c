// Starting a CSV import is an upload, which tRPC does not carry: `importCsv` sends the file as the
// raw body of the REST route (streamed when given a stream) with the same credentials as the
// client, and answers the run as `imports.get` does (dates as Date). Follow it with
// `client.imports.get`, `.cancel`; `.rejects` is a download on the REST route.
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@studio/api';
import type { Problem } from '@studio/api/problem';
import { ClientOptionsError, type ClientOptions } from './client';
import { StudioApiError, type StudioErrorCode } from './errors';

export type ImportRun = inferRouterOutputs<AppRouter>['imports']['get'];

export interface ImportCsvOptions {
  workspaceSlug: string;
  projectId: string;
  /** The file: bytes, a Blob/File, or a stream (sent as it is read). */
  file: Uint8Array | Blob | ReadableStream<Uint8Array>;
  fileName?: string;
  /** `schema.table`; default: the project's mapping whose file pattern matches the file name. */
  table?: string;
  mode?: 'insert' | 'upsert' | 'replace';
  errorPolicy?: 'all-or-nothing' | 'skip';
  maxRejects?: number;
}

const STATUS_CODES: Record<number, StudioErrorCode> = { 400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 412: 'PRECONDITION_FAILED', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'TOO_MANY_REQUESTS', 503: 'SERVICE_UNAVAILABLE' };

/** Starts an import; resolves with the run once the server checked the file's header against the table. */
export async function importCsv(client: ClientOptions, options: ImportCsvOptions): Promise<ImportRun> {
  const base = new URL(client.url.endsWith('/') ? client.url : `${client.url}/`);
  const url = new URL(`api/v1/workspaces/${encodeURIComponent(options.workspaceSlug)}/projects/${encodeURIComponent(options.projectId)}/imports`, base);
  for (const [key, value] of Object.entries({ table: options.table, mode: options.mode, errorPolicy: options.errorPolicy, maxRejects: options.maxRejects, fileName: options.fileName })) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  if (client.token !== undefined && client.cookie !== undefined) throw new ClientOptionsError('token', 'give either token or cookie, not both');
  const headers: Record<string, string> = { 'content-type': 'text/csv' };
  if (client.token !== undefined) headers.authorization = `Bearer ${client.token}`;
  if (client.cookie !== undefined) headers.cookie = client.cookie;
  const fetchImpl = client.fetch ?? globalThis.fetch;
  const streamed = typeof ReadableStream !== 'undefined' && options.file instanceof ReadableStream;
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'POST', headers, body: options.file as RequestInit['body'], ...(streamed && { duplex: 'half' }) } as RequestInit);
  } catch (error) {
    throw new StudioApiError({ error: 'network_error', message: 'The API could not be reached', details: {} }, { code: 'NETWORK_ERROR', status: 0, retryAfterSeconds: undefined, path: 'imports.start', cause: error instanceof Error ? error : undefined });
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const problem: Problem = typeof body.error === 'string' ? (body as unknown as Problem) : { error: 'internal_error', message: `HTTP ${response.status}`, details: {} };
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new StudioApiError(problem, { code: STATUS_CODES[response.status] ?? 'INTERNAL_SERVER_ERROR', status: response.status, retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined, path: 'imports.start' });
  }
  return { ...body, startedAt: new Date(String(body.startedAt)), finishedAt: body.finishedAt ? new Date(String(body.finishedAt)) : null } as ImportRun;
}
