// SQL editor: the workspace's stored procedures (status, unpublished changes, last edit), a name
// search, and a form to start a new one.
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { Field, SubmitButton } from '../components/form';
import { useDenial } from '../components/permission';
import styles from '../components/sql-editor/sql-editor.css?url';
import { Alert, Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'SQL editor · Workspace Studio' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: styles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const search = new URL(request.url).searchParams.get('q')?.trim() ?? '';
  const workspaceSlug = params.slug ?? '';
  const [list, can] = await Promise.all([
    api.load((c) => c.sqlEditor.list({ workspaceSlug, search: search || undefined, limit: 200 })),
    api.load((c) => c.sqlEditor.permissions({ workspaceSlug })),
  ]);
  return api.json({
    search,
    canDraft: can.draft,
    procedures: list.items.map((p) => ({ id: p.id, name: p.qualifiedName, status: p.status, hasUnpublishedChanges: p.hasUnpublishedChanges, updatedAt: p.updatedAt, publishedAt: p.publishedAt })),
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const name = String(form.get('name') ?? '').trim();
  const schema = String(form.get('schema') ?? '').trim();
  const created = await api.attempt((c) => c.sqlEditor.create({ workspaceSlug: params.slug ?? '', name, schema: schema || undefined }));
  if (!created.ok) return api.json({ problem: created.problem, name, schema }, { status: created.status });
  return api.redirect(`/w/${params.slug}/sql/${created.value.id}`);
}

export function ProcedureStatus({ status, hasUnpublishedChanges }: { status: 'draft' | 'published'; hasUnpublishedChanges: boolean }) {
  if (status === 'draft') return <Badge>Draft</Badge>;
  return hasUnpublishedChanges ? <Badge tone="warning">Published · changed</Badge> : <Badge tone="success">Published</Badge>;
}

export default function SqlEditorList() {
  const { procedures, search, canDraft } = useLoaderData<typeof loader>();
  const draftDenial = useDenial(canDraft);
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <>
      <PageHeader title="SQL editor" description="Stored procedures of this workspace: write a draft, publish it to the default environment's SQL Server, run it." />
      <Card title="New procedure">
        <Form method="post" className="row" aria-label="New procedure">
          <Field name="schema" label="Schema" placeholder="dbo" defaultValue={result?.schema ?? ''} />
          <Field name="name" label="Name" required maxLength={128} defaultValue={result?.name ?? ''} error={result?.problem.message} />
          <SubmitButton pendingLabel="Creating…" disabled={draftDenial.denied} aria-describedby={draftDenial.control['aria-describedby']}>
            Create
          </SubmitButton>
          {draftDenial.reason}
        </Form>
      </Card>
      <Card>
        <Form method="get" className="row" role="search">
          <Field name="q" label="Search by name" type="search" defaultValue={params.get('q') ?? ''} />
          <button type="submit" className="btn btn-secondary">
            Search
          </button>
        </Form>
        {procedures.length === 0 ? (
          <EmptyState title={search ? `No procedure matches “${search}”` : 'No procedures yet'}>{canDraft ? 'Create one above.' : null}</EmptyState>
        ) : (
          <DataTable columns={['Procedure', 'Status', 'Edited', 'Published']}>
            {procedures.map((p) => (
              <tr key={p.id} data-procedure={p.name}>
                <td data-label="Procedure">
                  <Link to={p.id} className="strong">
                    {p.name}
                  </Link>
                </td>
                <td data-label="Status">
                  <ProcedureStatus status={p.status} hasUnpublishedChanges={p.hasUnpublishedChanges} />
                </td>
                <td data-label="Edited">{formatDateTime(p.updatedAt)}</td>
                <td data-label="Published">{p.publishedAt ? formatDateTime(p.publishedAt) : '—'}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
      {result?.problem && !result.name ? <Alert tone="danger" title={result.problem.message} /> : null}
    </>
  );
}
