// The audit log page's "Export CSV": the view as filtered on the page (same query parameters),
// whole (up to the API's export limit), newest first. A refused export (an inverted range, no
// audit access) is a short text answer, never a file.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/api.server';
import { auditFiltersOf, csvLine } from '../lib/audit-filters';

const HEADER = ['When (UTC)', 'Who', 'IP', 'Action', 'Target type', 'Target', 'Target id', 'Outcome', 'Details'];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const { filters, fieldErrors } = auditFiltersOf(new URL(request.url).searchParams);
  const headers = api.headers();
  headers.set('cache-control', 'no-store');
  if (fieldErrors.to) {
    headers.set('content-type', 'text/plain; charset=utf-8');
    return new Response(`Export refused: to: ${fieldErrors.to}\n`, { status: 400, headers });
  }
  const result = await api.attempt((c) => c.audit.export({ workspaceSlug, ...filters }));
  if (!result.ok) {
    headers.set('content-type', 'text/plain; charset=utf-8');
    return new Response(`Export refused: ${result.problem.message}\n`, { status: result.status, headers });
  }
  const lines = [csvLine(HEADER)];
  for (const e of result.value.items) {
    const actor = e.actorUsername ?? (e.actorTokenId ? 'API token' : 'system');
    lines.push(csvLine([new Date(e.at).toISOString(), actor, e.ip, e.action, e.targetType, e.targetName, e.targetId, e.outcome, JSON.stringify(e.details)]));
  }
  const day = new Date().toISOString().slice(0, 10);
  headers.set('content-type', 'text/csv; charset=utf-8');
  headers.set('content-disposition', `attachment; filename="audit-${workspaceSlug}-${day}.csv"`);
  if (result.value.truncated) headers.set('x-export-truncated', 'true');
  return new Response(lines.join(''), { status: 200, headers });
}
