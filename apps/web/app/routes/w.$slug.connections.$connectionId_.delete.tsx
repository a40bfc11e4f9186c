// Delete a connection, after showing what uses it: environments and import projects keep existing
// without a connection (their reference becomes empty), and its pool is closed.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, SubmitButton } from '../components/form';
import { Alert, Card, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { failure, type ActionResult } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Delete ${data?.connection.name ?? 'connection'} · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', connectionId: params.connectionId ?? '' };
  const [connection, references] = await Promise.all([api.load((c) => c.connections.get(ref)), api.load((c) => c.connections.references(ref))]);
  return api.json({ connection: { id: connection.id, name: connection.name, type: connection.type, host: connection.host, port: connection.port, database: connection.database }, references });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const workspaceSlug = params.slug ?? '';
  const result = await api.attempt((c) => c.connections.delete({ workspaceSlug, connectionId: params.connectionId ?? '' }));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent: 'delete' }), { status: result.status });
  return api.redirect(`/w/${workspaceSlug}/connections`);
}

export default function DeleteConnection() {
  const { connection, references } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  const used = references.environments.length + references.projects.length > 0;
  return (
    <>
      <PageHeader
        title={`Delete ${connection.name}?`}
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections`}>Connections</Link> · {connection.host}:{connection.port} / {connection.database}
          </>
        }
      />
      <ActionAlert result={result} />
      <Card title="What uses this connection">
        {used ? (
          <div className="stack" data-testid="connection-references">
            {references.environments.length > 0 ? (
              <div>
                <h3 className="small">Environments</h3>
                <ul>
                  {references.environments.map((e) => (
                    <li key={e.id}>
                      <Link to={`/w/${workspace.slug}/settings/environments/${e.id}`}>{e.name}</Link>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {references.projects.length > 0 ? (
              <div>
                <h3 className="small">Import projects</h3>
                <ul>
                  {references.projects.map((p) => (
                    <li key={p.id}>{p.name}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            <Alert tone="warning" title="They keep existing without a connection">
              Environments become unconfigured and projects cannot import until they get another connection.
            </Alert>
          </div>
        ) : (
          <p className="muted" data-testid="connection-references">
            Nothing in this workspace uses it.
          </p>
        )}
      </Card>
      <Form method="post" className="form-actions">
        <SubmitButton intent="delete" variant="danger" pendingLabel="Deleting…">
          Delete connection
        </SubmitButton>
        <Link className="btn btn-secondary" to={`/w/${workspace.slug}/connections/${connection.id}`}>
          Cancel
        </Link>
      </Form>
    </>
  );
}
