// Download of one backup file: the procedure authorises (system Admins), checks the file is here
// and audits; this resource route streams it.
import { Readable } from 'node:stream';
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/api.server';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const run = await api.load((c) => c.backups.download({ backupId: params.backupId ?? '' }));
  const file = context.studio.services.backups.openFile(run);
  return new Response(Readable.toWeb(file) as ReadableStream, {
    headers: api.headers({
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${run.fileName ?? 'backup.studio-backup'}"`,
      ...(run.bytes === null ? {} : { 'content-length': String(run.bytes) }),
    }),
  });
}
