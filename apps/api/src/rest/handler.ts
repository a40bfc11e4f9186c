// REST over node:http for the procedures with `meta.openapi`: path parameters + query string (GET,
// DELETE) or JSON body (POST, PATCH, PUT) become the procedure's input, the procedure runs through a
// server-side caller (same middleware, authorisation, rate limits and audit as /trpc), the answer is
// plain JSON (dates as ISO strings), and every failure is the F10 body `{ error, message, details }`
// with the HTTP status of its tRPC code, mapped by errors.ts like every other transport.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { z } from 'zod';
import { createHttpContextFactory, type Context } from '../context';
import { ApiProblem, problemOf, retryAfterOf, toTRPCError } from '../errors';
import type { Problem } from '../problem';
import { appRouter } from '../routers/_app';
import { ConsoleDownload, firstChunkOf } from '../services/console';
import type { BackupRunView } from '../services/backups';
import type { AppServices } from '../services/index';
import type { ImportUpload } from '../services/imports/service';
import { encodedOncePerAnswer } from '../output-projection';
import { rateLimitHeaders } from '../services/rate-limits';
import { createCallerFactory } from '../trpc';
import type { TrustProxy } from '../trust-proxy';
import type { RouteMatch, RestRoute } from './routes';

const MAX_BODY_BYTES = 1_048_576;
/** How much of an oversized body is still read (and dropped) before the 413. */
const DRAIN_FACTOR = 8;

export interface RestHandlerOptions {
  trustProxy: TrustProxy;
  /** Told about every failure answered (metrics count them by F10 code). */
  onProblem?: (problem: Problem) => void;
}

/** `url`: the request's URL as the server parsed it to route the request. */
export type RestHandler = (req: IncomingMessage, res: ServerResponse, found: RouteMatch, url: URL) => Promise<void>;

function problemError(code: TRPCError['code'], problem: Problem): TRPCError {
  return new TRPCError({ code, message: problem.message, cause: new ApiProblem(problem) });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Past the limit the rest is read and dropped (up to a bound), so the client, still sending,
      // gets its 413 instead of a connection reset.
      if (size > MAX_BODY_BYTES * DRAIN_FACTOR) break;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    if (size > MAX_BODY_BYTES) {
      throw problemError('PAYLOAD_TOO_LARGE', { error: 'payload_too_large', message: `The request body is larger than ${MAX_BODY_BYTES} bytes`, details: { limit: MAX_BODY_BYTES } });
    }
  } catch (error) {
    if (error instanceof TRPCError) throw error;
    // The client went away mid-body: not a server fault, so not logged as one.
    throw problemError('CLIENT_CLOSED_REQUEST', { error: 'client_closed_request', message: 'The request body was not received completely', details: {} });
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function bodyInput(req: IncomingMessage): Promise<Record<string, unknown>> {
  const contentType = req.headers['content-type'] ?? '';
  const text = await readBody(req);
  if (text.trim() === '') return {};
  if (!/^application\/json\b/i.test(contentType)) {
    throw problemError('UNSUPPORTED_MEDIA_TYPE', {
      error: 'unsupported_media_type',
      message: 'Send the request body as JSON (Content-Type: application/json)',
      details: { contentType: contentType || null },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw problemError('BAD_REQUEST', { error: 'invalid_input', message: 'The request body is not valid JSON', details: { fields: [{ path: '(body)', message: 'not valid JSON' }] } });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw problemError('BAD_REQUEST', { error: 'invalid_input', message: 'The request body must be a JSON object', details: { fields: [{ path: '(body)', message: 'must be a JSON object' }] } });
  }
  return parsed as Record<string, unknown>;
}

/** The schema under optional/default/nullable wrappers: what a query-string value should become. */
function baseType(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/**
 * Query strings carry text. Numbers and booleans are converted here, by the route's input schema,
 * rather than by switching the shared schemas to coercion: `limit=abc` stays a string and fails
 * with the field's name. Dates are declared `z.coerce.date()` in the procedures themselves.
 */
function queryInput(url: URL, route: RestRoute): Record<string, unknown> {
  return textInput(url.searchParams, route);
}

function textInput(entries: Iterable<[string, string]>, route: RestRoute): Record<string, unknown> {
  // Null prototype: a query key such as `__proto__` or `constructor` is data here, never inherited.
  const input: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of entries) {
    const field = Object.hasOwn(route.input.shape, key) ? (route.input.shape[key] as z.ZodType) : undefined;
    const base = field ? baseType(field) : undefined;
    let value: unknown = raw;
    if (base instanceof z.ZodNumber && raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
    else if (base instanceof z.ZodBoolean && (raw === 'true' || raw === 'false')) value = raw === 'true';
    input[key] = value;
  }
  return input;
}

/**
 * JSON of frozen answers (the same page handed to every caller, decision 023), serialised and
 * encoded once per answer: stringifying a page's dates and encoding it were most of writing it.
 */
const jsonOf = encodedOncePerAnswer((body) => Buffer.from(JSON.stringify(body)));

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  // Encoded once into a Buffer: node's http joins a string body to the header text, and the socket
  // then flattens and encodes that copy (on a 10,000-row console answer, twice the time).
  const payload = jsonOf(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': payload.length });
  res.end(payload);
}

/** The one procedure whose REST answer is a file: it authorises and describes, this layer streams. */
const FILE_PROCEDURE = 'backups.download';

async function sendBackupFile(res: ServerResponse, services: AppServices, run: BackupRunView, headers: Record<string, string | string[]>): Promise<void> {
  const file = services.backups.openFile(run);
  await once(file, 'open');
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${run.fileName ?? 'backup.studio-backup'}"`,
    ...(run.bytes === null ? {} : { 'content-length': String(run.bytes) }),
  });
  await pipeline(file, res).catch(() => res.destroy());
}

type CallerNode = ((input: unknown) => Promise<unknown>) & { [key: string]: CallerNode };

export function createRestHandler(services: AppServices, options: RestHandlerOptions): RestHandler {
  const createContext = createHttpContextFactory(services, { trustProxy: options.trustProxy });
  const createCaller = createCallerFactory(appRouter);

  return async (req, res, { route, params }, url) => {
    let ctx: Context | undefined;
    try {
      const carriesBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
      let upload: ImportUpload | undefined;
      let fields: Record<string, unknown>;
      if (route.upload) {
        const received = await uploadOf(req, url, route);
        upload = received.upload;
        fields = received.fields;
      } else {
        fields = carriesBody ? await bodyInput(req) : queryInput(url, route);
      }
      const input: Record<string, unknown> = { ...fields, ...params };
      // Over REST the workspace is the path's slug, never a body or query field.
      if (Object.hasOwn(params, 'workspaceSlug')) delete input.workspaceId;
      // The same context as /trpc; the factory reads only req (the tRPC adapter's `info` does not exist here).
      ctx = await createContext({ req, res, info: undefined as never });
      if (upload) ctx.upload = upload;
      const caller = createCaller(ctx, { signal: abandonedSignal(req, res) }) as unknown as CallerNode;
      const procedure = route.procedurePath.split('.').reduce<CallerNode>((node, segment) => node[segment] as CallerNode, caller);
      const data = await procedure(input);
      const headers = { ...cookieHeaders(ctx), ...rateLimitHeaders(ctx.rateLimits.decision) };
      if (route.download && data instanceof ConsoleDownload) {
        await sendDownload(res, data, headers);
        return;
      }
      if (route.procedurePath === FILE_PROCEDURE) {
        await sendBackupFile(res, services, data as BackupRunView, headers);
        return;
      }
      send(res, 200, data ?? null, headers);
    } catch (error) {
      const mapped = toTRPCError(error, { logger: services.logger, path: route.procedurePath, outages: services.outages });
      const problem = problemOf(mapped);
      options.onProblem?.(problem);
      const headers = { ...cookieHeaders(ctx), ...rateLimitHeaders(ctx?.rateLimits.decision) };
      const retryAfter = retryAfterOf(mapped);
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      if (route.upload && !req.readableEnded) {
        // A refused upload is not read further: the client is told, then the connection closes.
        headers.connection = 'close';
        res.once('finish', () => req.destroy());
      }
      send(res, getHTTPStatusCodeFromError(mapped), problem, headers);
    }
  };
}

/** `filename="…"` of a Content-Disposition header, if any. */
function dispositionName(header: string | undefined): string | undefined {
  const found = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? '');
  if (!found?.[1]) return undefined;
  try {
    return decodeURIComponent(found[1]);
  } catch {
    return found[1];
  }
}

/**
 * The file of an upload route, not read here: the raw body (fields from the query string), or the
 * first file part of a multipart body (fields from the parts before it, and the query string).
 */
async function uploadOf(req: IncomingMessage, url: URL, route: RestRoute): Promise<{ upload: ImportUpload; fields: Record<string, unknown> }> {
  const contentType = req.headers['content-type'] ?? '';
  const fromQuery = [...url.searchParams];
  if (/^multipart\/form-data\b/i.test(contentType)) {
    return new Promise((resolve, reject) => {
      const parts: [string, string][] = [];
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 4_096 } });
      } catch {
        reject(problemError('BAD_REQUEST', { error: 'invalid_input', message: 'The multipart body has no boundary', details: { fields: [{ path: '(body)', message: 'multipart/form-data without a boundary' }] } }));
        return;
      }
      let found = false;
      parser.on('field', (name, value) => parts.push([name, value]));
      parser.on('file', (_name, stream, info) => {
        found = true;
        resolve({ upload: { stream, fileName: info.filename || 'import.csv' }, fields: textInput([...fromQuery, ...parts], route) });
      });
      parser.on('error', () => reject(problemError('BAD_REQUEST', { error: 'invalid_input', message: 'The multipart body could not be read', details: { fields: [{ path: '(body)', message: 'malformed multipart/form-data' }] } })));
      parser.on('close', () => {
        if (!found) reject(problemError('BAD_REQUEST', { error: 'invalid_input', message: 'The multipart body has no file part', details: { field: 'file', fields: [{ path: 'file', message: 'required' }] } }));
      });
      req.pipe(parser);
    });
  }
  const accepted = route.upload ?? [];
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepted.includes(type)) {
    throw problemError('UNSUPPORTED_MEDIA_TYPE', {
      error: 'unsupported_media_type',
      message: `Send the file as the request body (Content-Type: ${accepted.join(', ')})`,
      details: { contentType: contentType || null },
    });
  }
  const length = Number(req.headers['content-length']);
  const fileName = dispositionName(req.headers['content-disposition']) ?? 'import.csv';
  return { upload: { stream: req, fileName, declaredBytes: Number.isFinite(length) ? length : undefined }, fields: textInput(fromQuery, route) };
}

/**
 * Streams a download: the first bytes are awaited before the headers, so a refused query is still
 * an F10 error; after that a failure can only cut the body short (the client sees a broken file).
 */
async function sendDownload(res: ServerResponse, download: ConsoleDownload, headers: Record<string, string | string[]>): Promise<void> {
  const { first, rest } = await firstChunkOf(download.open());
  // The client hanging up destroys the body, which stops the query on the server.
  res.once('close', () => rest.destroy());
  res.writeHead(200, { ...headers, 'content-type': download.contentType, 'content-disposition': `attachment; filename="${download.filename}"`, 'cache-control': 'no-store' });
  if (first) res.write(first);
  rest.on('error', () => res.destroy());
  rest.pipe(res);
}

/** Aborts when the client hangs up before the answer was written (procedures stop their work). */
function abandonedSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) controller.abort();
  };
  res.once('close', onClose);
  req.once('aborted', () => controller.abort());
  return controller.signal;
}

function cookieHeaders(ctx: Context | undefined): Record<string, string | string[]> {
  const cookies = ctx?.sessionCookies.setCookieHeaders ?? [];
  return cookies.length > 0 ? { 'set-cookie': cookies } : {};
}
