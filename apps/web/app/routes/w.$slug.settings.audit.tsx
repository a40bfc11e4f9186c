// Audit log: who did what to which connection / environment / grant / token, when, from where,
// with what outcome. Filters are query parameters (bookmarkable); pages follow the API's cursor.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useLocation } from '@remix-run/react';
import { Field, SelectField, SubmitButton } from '../components/form';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { AUDIT_OUTCOMES, auditFiltersOf } from '../lib/audit-filters';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Audit log · Workspace Studio' }];

const OUTCOMES = AUDIT_OUTCOMES;
const TARGET_TYPES = ['connection', 'environment', 'api_token', 'member', 'workspace', 'user', 'session', 'procedure'] as const;
const PAGE_SIZE = 50;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const query = new URL(request.url).searchParams;
  const { filters, fieldErrors } = auditFiltersOf(query);
  const cursor = query.get('cursor') || undefined;
  const [page, members] = await Promise.all([
    // An inverted range finds nothing: say so at the field instead of listing an empty page.
    Object.keys(fieldErrors).length > 0 ? { items: [], nextCursor: null } : api.load((c) => c.audit.list({ workspaceSlug, ...filters, cursor, limit: PAGE_SIZE })),
    api.load((c) => c.workspaces.members({ workspaceSlug, limit: 200 })),
  ]);
  return api.json({
    entries: page.items.map((e) => ({
      id: e.id,
      at: e.at,
      actor: e.actorUsername ?? (e.actorTokenId ? 'API token' : 'system'),
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      targetName: e.targetName,
      outcome: e.outcome,
      ip: e.ip,
      details: e.details,
    })),
    nextCursor: page.nextCursor,
    members: members.items.map((m) => ({ userId: m.userId, username: m.username })),
    paged: cursor !== undefined,
    fieldErrors,
  });
}

/** The page's filters without its cursor: the export is the whole filtered view. */
function exportQuery(query: URLSearchParams): string {
  const filters = new URLSearchParams(query);
  filters.delete('cursor');
  return filters.toString();
}

const outcomeTone = { success: 'success', failure: 'danger', denied: 'warning' } as const;

function summary(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v).replaceAll(',', ', ') : String(v)}`)
    .join(' · ');
}

export default function AuditLog() {
  const { entries, nextCursor, members, paged, fieldErrors } = useLoaderData<typeof loader>();
  const location = useLocation();
  const query = new URLSearchParams(location.search);
  const pageLink = (cursor: string | null) => {
    const next = new URLSearchParams(query);
    if (cursor) next.set('cursor', cursor);
    else next.delete('cursor');
    return `?${next.toString()}`;
  };
  return (
    <>
      <PageHeader title="Audit log" description="Every change, test, reset, sign-in and refused attempt in this workspace. Secrets are never recorded." />
      <Card title="Filters">
        <Form method="get" className="form-grid" aria-label="Filter the audit log">
          <Field name="action" label="Action" placeholder="e.g. procedure" hint="An action, or its first part for all of them" defaultValue={query.get('action') ?? ''} />
          <SelectField name="outcome" label="Outcome" defaultValue={query.get('outcome') ?? ''}>
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </SelectField>
          <SelectField name="targetType" label="Target" defaultValue={query.get('targetType') ?? ''}>
            <option value="">Any</option>
            {TARGET_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </SelectField>
          <SelectField name="actor" label="Who" defaultValue={query.get('actor') ?? ''}>
            <option value="">Anyone</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.username}
              </option>
            ))}
          </SelectField>
          <Field name="from" label="From (UTC day)" type="date" defaultValue={query.get('from') ?? ''} />
          <Field name="to" label="To (UTC day)" type="date" defaultValue={query.get('to') ?? ''} error={fieldErrors.to} />
          <div className="form-actions" style={{ alignSelf: 'end' }}>
            <SubmitButton variant="secondary">Apply filters</SubmitButton>
            <Link to="?" className="btn btn-ghost">
              Clear
            </Link>
            <a href={`${location.pathname}/export?${exportQuery(query)}`} className="btn btn-ghost" download>
              Export CSV
            </a>
          </div>
        </Form>
      </Card>
      <Card>
        {entries.length === 0 ? (
          <EmptyState title="Nothing recorded matches these filters" />
        ) : (
          <DataTable columns={['When', 'Who', 'Action', 'Target', 'Outcome', 'Details']} label="Audit entries">
            {entries.map((e) => (
              <tr key={e.id} data-action={e.action} data-outcome={e.outcome}>
                <td data-label="When" className="small">
                  {formatDateTime(e.at)}
                </td>
                <td data-label="Who">
                  {e.actor}
                  {e.ip ? <p className="muted small">{e.ip}</p> : null}
                </td>
                <td data-label="Action">
                  <code>{e.action}</code>
                </td>
                <td data-label="Target" className="small">
                  {e.targetName ? <span className="strong">{e.targetName}</span> : null}
                  {e.targetName ? <p className="muted small">{e.targetType}</p> : (e.targetType ?? '—')}
                  {/* A target deleted since has no name: its id is all there is. */}
                  {e.targetId && !e.targetName ? <p className="muted small wrap-anywhere">{e.targetId}</p> : null}
                </td>
                <td data-label="Outcome">
                  <Badge tone={outcomeTone[e.outcome]}>{e.outcome}</Badge>
                </td>
                <td data-label="Details" className="small wrap-anywhere">
                  {summary(e.details)}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <nav className="pagination" aria-label="Audit log pages">
          {paged ? (
            <Link className="btn btn-secondary" to={pageLink(null)}>
              First page
            </Link>
          ) : null}
          {nextCursor ? (
            <Link className="btn btn-secondary" to={pageLink(nextCursor)}>
              Older entries
            </Link>
          ) : null}
        </nav>
      </Card>
    </>
  );
}
