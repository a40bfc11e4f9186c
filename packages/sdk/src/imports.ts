// Starting a CSV import is an upload, which tRPC does not carry: `importCsv` sends the file as the
// raw body of the REST route (streamed when given a stream) with the same credentials as the
// client, and answers the run as `imports.get` does (dates as Date). `waitForImport` follows the
// run to its end through the typed client, reporting progress; `client.imports.cancel` stops it;
// `.rejects` is a download on the REST route.
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@studio/api';
import type { Problem } from '@studio/api/problem';
import { ClientOptionsError, type ClientOptions, type StudioClient } from './client';
import { StudioApiError, type StudioErrorCode } from './errors';

export type ImportRun = inferRouterOutputs<AppRouter>['imports']['get'];

export interface ImportCsvOptions {
  workspaceSlug: string;
  projectId: string;
  /**
   * The file: bytes (a Buffer too), a Blob/File, a web ReadableStream or a Node stream / async
   * iterable of chunks (sent as they are read), or `{ path }` to stream a file from disk (Node).
   */
  file: Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | { path: string };
  /** Default: the path's base name for `{ path }`, else the server's `import.csv`. */
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
  const { body: file, fileName } = await bodyOf(options.file);
  options = { ...options, fileName: options.fileName ?? fileName };
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
  const streamed = typeof ReadableStream !== 'undefined' && file instanceof ReadableStream;
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'POST', headers, body: file as RequestInit['body'], ...(streamed && { duplex: 'half' }) } as RequestInit);
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

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** What fetch can send: a Node stream or a file on disk becomes a web stream, read as it is sent. */
async function bodyOf(file: ImportCsvOptions['file']): Promise<{ body: Uint8Array | Blob | ReadableStream<Uint8Array>; fileName?: string }> {
  if (file instanceof Uint8Array || (typeof Blob !== 'undefined' && file instanceof Blob) || (typeof ReadableStream !== 'undefined' && file instanceof ReadableStream)) return { body: file };
  if (isAsyncIterable(file)) return { body: iterableStream(file) };
  if (typeof file === 'object' && file !== null && 'path' in file && typeof file.path === 'string') {
    // Loaded only when a path is given, so the SDK still runs where there is no file system.
    const { createReadStream } = await import('node:fs');
    const { basename } = await import('node:path');
    return { body: iterableStream(createReadStream(file.path)), fileName: basename(file.path) };
  }
  // A caller's programming error, as Node's own APIs report a wrong argument.
  throw new TypeError('importCsv: file must be bytes, a Blob, a ReadableStream, an async iterable of chunks, or { path }');
}

function iterableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

export interface WaitForImportOptions {
  /** Called with the run on every poll while it runs, and once more with its end. */
  onProgress?: (run: ImportRun) => void;
  /** Between polls (default 500 ms; the server updates progress at least every second). */
  intervalMs?: number;
  /** Stops waiting (the run goes on; cancel it with `client.imports.cancel`). */
  signal?: AbortSignal;
}

/** Polls the run until it ends; resolves the ended run (its `outcome` says how; a failed run does not reject). */
export async function waitForImport(client: StudioClient, run: { workspaceSlug: string; projectId: string; importId: string }, options: WaitForImportOptions = {}): Promise<ImportRun> {
  const intervalMs = options.intervalMs ?? 500;
  for (;;) {
    options.signal?.throwIfAborted();
    const current = await client.imports.get.query(run, { signal: options.signal });
    options.onProgress?.(current);
    if (current.outcome !== 'running') return current;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, intervalMs);
      function done() {
        options.signal?.removeEventListener('abort', aborted);
        resolve();
      }
      function aborted() {
        clearTimeout(timer);
        reject(options.signal?.reason);
      }
      options.signal?.addEventListener('abort', aborted, { once: true });
    });
  }
}
