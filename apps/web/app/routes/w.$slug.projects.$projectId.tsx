// One import project: import a file (preview, progress, cancel), its import history with the
// rejected rows to download, and its settings.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, redirect, useActionData, useLoaderData, useRevalidator } from '@remix-run/react';
import { useCallback } from 'react';
import { ActionAlert, ConfirmedSubmitButton, SubmitButton } from '../components/form';
import { ImportPanel } from '../components/import-panel';
import { ProjectFields } from '../components/project-form';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { failure, text, unknownIntent, type ActionResult } from '../lib/forms';
import { configFromForm, projectFieldErrors } from '../lib/project-form';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.project.name ?? 'Project'} · Imports · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const projectId = params.projectId ?? '';
  const [project, history, connections] = await Promise.all([
    api.load((c) => c.projects.get({ workspaceSlug, projectId })),
    api.load((c) => c.imports.list({ workspaceSlug, projectId, limit: 50 })),
    api.load((c) => c.connections.list({ workspaceSlug, limit: 200 })),
  ]);
  const permissions = project.connectionId ? await api.load((c) => c.connections.permissions({ workspaceSlug, connectionId: project.connectionId! })) : null;
  return api.json({
    project,
    history: history.items,
    connections: connections.items.map((c) => ({ id: c.id, name: c.name, type: c.type })),
    canImport: permissions ? permissions.can['import.run'] : { allowed: false as const, reason: 'This project has no connection; choose one in its settings before importing' },
    canEdit: permissions ? permissions.can['project.manage'] : null,
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const workspaceSlug = params.slug ?? '';
  const projectId = params.projectId ?? '';
  if (intent === 'delete') {
    const result = await api.attempt((c) => c.projects.delete({ workspaceSlug, projectId }));
    if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return redirect(`/w/${workspaceSlug}/projects`);
  }
  if (intent !== 'update') return api.json<ActionResult>(unknownIntent(intent), { status: 400 });
  const result = await api.attempt((c) =>
    c.projects.update({ workspaceSlug, projectId, name: text(form, 'name') ?? '', description: text(form, 'description') ?? null, connectionId: text(form, 'connectionId') ?? null, config: configFromForm(form) as never }),
  );
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
  return api.json<ActionResult>({ ok: true, intent, message: 'Saved' });
}

const outcomeTone = { running: 'info', succeeded: 'success', failed: 'danger', cancelled: 'neutral', interrupted: 'warning' } as const;

export default function Project() {
  const { project, history, connections, canImport } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failed = result && !result.ok ? result : undefined;
  const revalidator = useRevalidator();
  const refresh = useCallback(() => revalidator.revalidate(), [revalidator]);
  const slug = useWorkspace().workspace.slug;
  const base = `/api/v1/workspaces/${encodeURIComponent(slug)}/projects/${project.id}/imports`;
  return (
    <>
      <PageHeader title={project.name} description={project.connection ? `Imports go to ${project.connection.name} (${project.connection.type}).` : 'This project has no connection: imports are refused until one is chosen.'} />
      <Card title="Import a file">
        <ImportPanel slug={slug} projectId={project.id} csv={project.config.csv} canImport={canImport.allowed} denial={canImport.allowed ? null : canImport.reason} onFinished={refresh} />
      </Card>
      <Card title="History">
        {history.length === 0 ? (
          <EmptyState title="No imports yet" />
        ) : (
          <DataTable columns={['Started', 'File', 'Table', 'Mode', 'Outcome', 'Rows', 'By']}>
            {history.map((run) => (
              <tr key={run.id} data-import={run.id}>
                <td data-label="Started" className="small">
                  {formatDateTime(run.startedAt)}
                </td>
                <td data-label="File">
                  {run.fileName}
                  <p className="muted small">{run.fileBytes === null ? '' : `${(run.fileBytes / 1024).toFixed(1)} KiB`}</p>
                </td>
                <td data-label="Table">{run.table}</td>
                <td data-label="Mode" className="small">
                  {run.mode}, {run.errorPolicy}
                </td>
                <td data-label="Outcome">
                  <Badge tone={outcomeTone[run.outcome]}>{run.outcome}</Badge>
                  {run.error ? <p className="step-error small">{run.error.message}</p> : null}
                </td>
                <td data-label="Rows" className="small">
                  {run.rowsWritten.toLocaleString()} written, {run.rowsRejected.toLocaleString()} rejected
                  {run.rowsRejected > 0 ? (
                    <p>
                      <a href={`${base}/${run.id}/rejects`} download>
                        Rejected rows (CSV)
                      </a>
                    </p>
                  ) : null}
                </td>
                <td data-label="By" className="small">
                  {run.startedBy}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
      <Card title="Settings">
        <ActionAlert result={result} />
        <Form method="post" className="form-grid" aria-label="Project settings">
          <ProjectFields connections={connections} project={project} errors={projectFieldErrors(failed?.fieldErrors ?? {})} values={failed?.values} />
          <div className="form-actions">
            <SubmitButton intent="update" pendingLabel="Saving…">
              Save
            </SubmitButton>
          </div>
        </Form>
        <Form method="post">
          <ConfirmedSubmitButton intent="delete" title={`Delete “${project.name}”?`} confirmLabel="Delete project" description={<p>Its import history is kept; the tables it imported into are not touched.</p>}>
            Delete project
          </ConfirmedSubmitButton>
        </Form>
      </Card>
    </>
  );
}
