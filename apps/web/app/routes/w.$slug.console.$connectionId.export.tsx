// The console's export as a download: the form on the console page posts the text, parameters,
// mode and format here, and the file streams from the database through this response (the server
// pauses the driver while the browser is slower, so memory stays bounded). A refused query is
// answered as a short text page before any file starts.
import { Readable } from 'node:stream';
import type { ActionFunctionArgs } from '@remix-run/node';
import { firstChunkOf, problemOf, toTRPCError } from '@studio/api';
import { requireUser } from '../lib/api.server';

function failure(status: number, message: string, headers: Headers): Response {
  headers.set('content-type', 'text/plain; charset=utf-8');
  return new Response(`Export failed: ${message}\n`, { status, headers });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  let parameters: (string | number | null)[];
  try {
    parameters = JSON.parse(String(form.get('parameters') || '[]')) as (string | number | null)[];
  } catch {
    return failure(400, 'parameters: not JSON', api.headers());
  }
  const format = form.get('format') === 'json' ? 'json' : 'csv';
  const download = await api.attempt((c) =>
    c.console.export({
      workspaceSlug: params.slug ?? '',
      connectionId: params.connectionId ?? '',
      sql: String(form.get('sql') ?? ''),
      parameters,
      mode: form.get('mode') === 'read-write' ? 'read-write' : 'read-only',
      format,
    }),
  );
  if (!download.ok) return failure(download.status, download.problem.message, api.headers());
  let opened;
  try {
    opened = await firstChunkOf(download.value.open());
  } catch (error) {
    const problem = problemOf(toTRPCError(error, { logger: context.studio.services.logger, path: 'console.export' }));
    return failure(problem.error === 'query_timeout' ? 408 : 400, problem.message, api.headers());
  }
  const { first, rest } = opened;
  // The browser leaving stops the query on the server.
  request.signal.addEventListener('abort', () => rest.destroy(), { once: true });
  const body = Readable.from(
    (async function* () {
      if (first) yield first;
      for await (const chunk of rest) yield chunk as Buffer;
    })(),
  );
  const headers = api.headers({
    'content-type': download.value.contentType,
    'content-disposition': `attachment; filename="${download.value.filename}"`,
    'cache-control': 'no-store',
  });
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status: 200, headers });
}
