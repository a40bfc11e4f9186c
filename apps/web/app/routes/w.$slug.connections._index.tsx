import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { GuardedLink } from '../components/permission';
import { Card, DataTable, EmptyState, PageHeader, StatusBadge } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionTypeLabels } from '../lib/connection-form';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Connections · Workspace Studio' }];


export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const list = await api.load((c) => c.connections.list({ workspaceSlug: params.slug ?? '', limit: 200 }));
  return api.json({
    connections: list.items.map((c) => ({ id: c.id, name: c.name, type: c.type, host: c.host, port: c.port, database: c.database, status: c.status, lastTestedAt: c.lastTestedAt, lastError: c.lastError })),
  });
}

export default function Connections() {
  const { connections } = useLoaderData<typeof loader>();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader
        title="Connections"
        description={
          <>
            The databases this workspace reaches, with the result of their last test. Scripts and services use the same connections through the{' '}
            <a href="/api/docs">REST API reference</a>.
          </>
        }
        actions={
          <GuardedLink className="btn btn-primary" to="new" verdict={workspace.can['connection.create']}>
            New connection
          </GuardedLink>
        }
      />
      <Card>
        {connections.length === 0 ? (
          <EmptyState title="No connections yet">Add one with New connection (SQL Server, PostgreSQL or MySQL/MariaDB); creating an environment also creates its SQL Server connection.</EmptyState>
        ) : (
          <DataTable columns={['Name', 'Type', 'Target', 'Status']}>
            {connections.map((c) => (
              <tr key={c.id} data-connection={c.name}>
                <td data-label="Name">
                  <Link to={c.id} className="strong">
                    {c.name}
                  </Link>
                </td>
                <td data-label="Type">{connectionTypeLabels[c.type]}</td>
                <td data-label="Target">
                  {c.host}:{c.port} / {c.database}
                </td>
                <td data-label="Status">
                  <StatusBadge status={c.status} lastTestedAt={c.lastTestedAt} />
                  {c.lastError ? <p className="step-error small">{c.lastError}</p> : null}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </>
  );
}
