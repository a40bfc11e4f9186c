// Edit a connection: every field but the password is shown as stored; the password is write-only
// (blank keeps it, unless the change moves where it would be sent: docs/decisions/009).
import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { ConnectionForm } from '../components/connection-form';
import { ActionAlert } from '../components/form';
import { PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionUpdateInput } from '../lib/connection-form';
import { failure, type ActionResult } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Edit ${data?.connection.name ?? 'connection'} · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', connectionId: params.connectionId ?? '' };
  const [connection, permissions] = await Promise.all([api.load((c) => c.connections.get(ref)), api.load((c) => c.connections.permissions(ref))]);
  // The API refuses the save anyway; saying so before the form is filled in is kinder.
  if (!permissions.canManage) {
    throw json({ error: 'forbidden', message: 'Changing this connection needs an Owner or Admin role, or the manage grant on it.', details: {} }, { status: 403 });
  }
  return api.json({
    connection: {
      id: connection.id,
      name: connection.name,
      description: connection.description,
      type: connection.type,
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      hasPassword: connection.hasPassword,
      options: { ...connection.options },
      encryption: connection.encryption,
    },
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const workspaceSlug = params.slug ?? '';
  const connectionId = params.connectionId ?? '';
  const result = await api.attempt((c) => c.connections.update({ workspaceSlug, ...connectionUpdateInput(form, connectionId) }));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent: 'save' }), { status: result.status });
  return api.redirect(`/w/${workspaceSlug}/connections/${connectionId}`);
}

export default function EditConnection() {
  const { connection } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader
        title={`Edit ${connection.name}`}
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections`}>Connections</Link> · <Link to={`/w/${workspace.slug}/connections/${connection.id}`}>{connection.name}</Link>
          </>
        }
      />
      <ActionAlert result={result} />
      <ConnectionForm mode="update" initial={connection} result={result} />
    </>
  );
}
