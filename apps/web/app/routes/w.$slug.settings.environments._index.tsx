// Environments: Owners/Admins see and change the settings; everyone else sees which environments
// they can use, and the page says why they cannot edit them.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { GuardedLink } from '../components/permission';
import { Alert, Badge, Card, DataTable, EmptyState, PageHeader, StatusBadge } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const settings = await api.attempt((c) => c.environments.list({ workspaceSlug, limit: 200 }));
  if (settings.ok) {
    return api.json({
      canEdit: true as const,
      environments: settings.value.items.map((e) => ({
        id: e.id,
        name: e.name,
        description: e.description,
        isDefault: e.isDefault,
        connection: e.connection && { name: e.connection.name, host: e.connection.host, port: e.connection.port, database: e.connection.database, status: e.connection.status, lastTestedAt: e.connection.lastTestedAt },
        status: e.connection?.status ?? null,
        configured: e.connection !== null,
      })),
    });
  }
  if (settings.status !== 403) throw api.json(settings.problem, { status: settings.status });
  const choices = await api.load((c) => c.environments.choices({ workspaceSlug, limit: 200 }));
  return api.json({
    canEdit: false as const,
    environments: choices.items.map((e) => ({ id: e.id, name: e.name, description: null, isDefault: e.isDefault, connection: null, status: e.status, configured: e.configured })),
  });
}

export default function Environments() {
  const data = useLoaderData<typeof loader>();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader
        title="Environments"
        description="Each environment points at a SQL Server database. The default one is what members use unless they pick another."
        actions={
          <GuardedLink className="btn btn-primary" to="new" verdict={workspace.can['environment.manage']}>
            New environment
          </GuardedLink>
        }
      />
      {!data.canEdit ? (
        <Alert tone="info" title="You can use these environments but cannot change their settings">
          <p>{workspace.can['environment.read'].reason ?? 'Only workspace Owners and Admins can view or edit environment settings'} (host, database, credentials, pool).</p>
        </Alert>
      ) : null}
      <Card>
        {data.environments.length === 0 ? (
          <EmptyState title="No environments yet">{data.canEdit ? <Link to="new">Create the first one</Link> : 'An Owner or Admin creates them.'}</EmptyState>
        ) : (
          <DataTable columns={['Name', 'Connection', 'Status']}>
            {data.environments.map((e) => (
              <tr key={e.id}>
                <td data-label="Name">
                  {data.canEdit ? (
                    <Link to={e.id} className="strong">
                      {e.name}
                    </Link>
                  ) : (
                    <span className="strong">{e.name}</span>
                  )}{' '}
                  {e.isDefault ? <Badge tone="info">Default</Badge> : null}
                  {e.description ? <p className="muted small">{e.description}</p> : null}
                </td>
                <td data-label="Connection">
                  {e.connection ? (
                    <>
                      {e.connection.name}
                      <p className="muted small">
                        {e.connection.host}:{e.connection.port} / {e.connection.database}
                      </p>
                    </>
                  ) : (
                    <span className="muted">{e.configured ? 'Configured' : 'Not configured'}</span>
                  )}
                </td>
                <td data-label="Status">
                  <StatusBadge status={e.status} lastTestedAt={e.connection?.lastTestedAt ?? null} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </>
  );
}
