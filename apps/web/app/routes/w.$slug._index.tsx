// Overview: the workspace's connections with their status and, for Owners/Admins, each pool's
// utilisation (connections open / pool size, borrowed, waiters).
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { Badge, Card, EmptyState, Meter, PageHeader, StatusBadge } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { canManageWorkspace } from '../lib/nav';
import { useWorkspace } from '../lib/workspace';
import { defaultEnvironmentText, plural } from '../lib/words';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

const DEFAULT_POOL_SIZE = 10;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  // One call, one system-database statement (the role, the connections, the environment choices);
  // the pool figures are this instance's memory.
  const { role, connections, environments } = await api.load((c) => c.workspaces.overview({ workspaceSlug }));
  const pools = canManageWorkspace(role) ? await api.load((c) => c.connections.poolStats({ workspaceSlug })) : null;
  return api.json({
    connections: connections.map((c) => {
      const pool = pools?.pools.find((p) => p.connectionId === c.id && p.state !== 'draining' && p.state !== 'closed') ?? null;
      return {
        id: c.id,
        name: c.name,
        type: c.type,
        status: c.status,
        lastTestedAt: c.lastTestedAt,
        poolSize: pool?.poolSize ?? c.poolSize ?? DEFAULT_POOL_SIZE,
        pool: pool && { state: pool.state, size: pool.size, borrowed: pool.borrowed, idle: pool.idle, waiters: pool.waiters, acquires: pool.acquires, errors: pool.errors },
        circuitOpen: pools?.circuits.some((circuit) => circuit.connectionId === c.id) ?? false,
      };
    }),
    environments,
    totals: pools?.totals ?? null,
  });
}

export default function Overview() {
  const { connections, environments, totals } = useLoaderData<typeof loader>();
  const { workspace } = useWorkspace();
  const healthy = connections.filter((c) => c.status === 'healthy').length;
  return (
    <>
      <PageHeader title="Overview" description={`Workspace ${workspace.name} (${workspace.slug}). You are ${workspace.role === 'Owner' || workspace.role === 'Admin' ? 'an' : 'a'} ${workspace.role}.`} />
      <div className="stats">
        <div className="stat card">
          <p className="stat-label">Connections</p>
          <p className="stat-value">{connections.length}</p>
          <p className="muted small">{healthy} healthy</p>
        </div>
        <div className="stat card">
          <p className="stat-label">Environments</p>
          <p className="stat-value">{environments.length}</p>
          <p className="muted small">{defaultEnvironmentText(environments)}</p>
        </div>
        {totals ? (
          <div className="stat card">
            <p className="stat-label">Open pool connections</p>
            <p className="stat-value">{totals.connections}</p>
            <p className="muted small">
              {totals.borrowed} in use · {totals.waiters} waiting · {plural(totals.pools, 'pool')}
            </p>
          </div>
        ) : null}
      </div>
      <Card title="Pool utilisation per connection">
        {connections.length === 0 ? (
          <EmptyState title="No connections yet">
            {canManageWorkspace(workspace.role) ? (
              <Link to={`/w/${workspace.slug}/settings/environments/new`}>Create an environment</Link>
            ) : (
              'An Owner or Admin adds them.'
            )}
          </EmptyState>
        ) : (
          <ul className="pool-list">
            {connections.map((c) => (
              <li key={c.id} className="pool-row">
                <div className="pool-row-head">
                  <Link to={`/w/${workspace.slug}/connections/${c.id}`} className="strong">
                    {c.name}
                  </Link>
                  <StatusBadge status={c.status} lastTestedAt={c.lastTestedAt} />
                  {c.circuitOpen ? <Badge tone="danger">Circuit open</Badge> : null}
                </div>
                {totals === null ? (
                  <p className="muted small">Pool figures are shown to workspace Owners and Admins.</p>
                ) : c.pool ? (
                  <div className="pool-meters">
                    <Meter label="Open connections" value={c.pool.size} max={c.poolSize} />
                    <Meter label="In use" value={c.pool.borrowed} max={c.poolSize} />
                    <p className="muted small">
                      {c.pool.idle} idle · {c.pool.waiters} waiting · {c.pool.acquires} acquires · {c.pool.errors} errors · {c.pool.state}
                    </p>
                  </div>
                ) : (
                  <p className="muted small">No pool open (opens on first use) · pool size {c.poolSize}</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
