// The console's front door: pick a connection (the connection picker on the console page sends
// `?connection=` here too), or learn that there is none yet.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { Card, DataTable, EmptyState, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionTypeLabels } from '../lib/connection-form';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Console · Workspace Studio' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const chosen = new URL(request.url).searchParams.get('connection');
  if (chosen) throw api.redirect(`/w/${params.slug}/console/${encodeURIComponent(chosen)}`);
  const list = await api.load((c) => c.connections.list({ workspaceSlug: params.slug ?? '', limit: 200 }));
  return api.json({ connections: list.items.map((c) => ({ id: c.id, name: c.name, type: c.type, database: c.database })) });
}

export default function ConsoleIndex() {
  const { connections } = useLoaderData<typeof loader>();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader title="Console" description="Run ad-hoc SQL on a connection: read-only unless the connection allows writes." />
      {connections.length === 0 ? (
        <EmptyState title="No connections yet">
          Add one under <Link to={`/w/${workspace.slug}/connections`}>Connections</Link>.
        </EmptyState>
      ) : (
        <Card>
          <DataTable columns={['Connection', 'Type', 'Database']} label="Connections">
            {connections.map((c) => (
              <tr key={c.id}>
                <td data-label="Connection">
                  <Link to={c.id} className="strong">
                    {c.name}
                  </Link>
                </td>
                <td data-label="Type">{connectionTypeLabels[c.type]}</td>
                <td data-label="Database">{c.database}</td>
              </tr>
            ))}
          </DataTable>
        </Card>
      )}
    </>
  );
}
