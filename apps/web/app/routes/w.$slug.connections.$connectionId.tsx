// One connection: where it points, its last test, its live pool (size, in use, waiters, errors),
// which server it is on (its host, or the failover partner / another host after a failover),
// what encryption it asks for and what was actually negotiated (the open pool's latest connection,
// else the last test; never the settings), and the operations the caller may run: Test (anyone who may use it; watched step by step, with
// Cancel), Reset the pool (managers).
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { EncryptionWarningBadge } from '../components/encryption-fields';
import { ActionAlert, ConfirmedSubmitButton, SubmitButton, useSubmitting } from '../components/form';
import { GuardedLink, useDenial } from '../components/permission';
import { useShownTestRun, WatchedTest } from '../components/test-run';
import { TlsDetails, type NegotiatedTlsView } from '../components/tls-details';
import { Alert, Badge, Card, formatDateTime, Meter, PageHeader, StatusBadge } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionTypeLabels } from '../lib/connection-form';
import { encryptionChoice } from '../lib/encryption';
import { failure, unknownIntent, type ActionResult } from '../lib/forms';
import { canManageWorkspace } from '../lib/nav';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.connection.name ?? 'Connection'} · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', connectionId: params.connectionId ?? '' };
  const [connection, permissions, status] = await Promise.all([
    api.load((c) => c.connections.get(ref)),
    api.load((c) => c.connections.permissions(ref)),
    api.load((c) => c.connections.status(ref)),
  ]);
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
      poolSize: connection.options.poolSize ?? 10,
      failoverPartner: connection.options.failoverPartner ?? null,
      readIntent: connection.options.readIntent === true,
      alternateHosts: connection.options.alternateHosts ?? [],
      targetSessionAttrs: connection.options.targetSessionAttrs ?? 'any',
      encryption: connection.encryption,
      lastTls: connection.lastTls,
      lastTestedAt: connection.lastTestedAt,
    },
    permissions,
    status: { status: status.status, lastTestedAt: status.lastTestedAt, lastError: status.lastError, circuitOpen: status.circuitOpen, pool: status.pool },
  });
}

type ConnectionActionResult = ActionResult<{ testRunId?: string }>;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const ref = { workspaceSlug: params.slug ?? '', connectionId: params.connectionId ?? '' };
  if (intent === 'test') {
    // Started, not awaited: the page watches the run's steps as they finish (components/test-run).
    const result = await api.attempt((c) => c.connections.testStart(ref));
    if (!result.ok) return api.json<ConnectionActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<ConnectionActionResult>({ ok: true, intent, value: { testRunId: result.value.id } });
  }
  if (intent === 'reset') {
    const result = await api.attempt((c) => c.connections.reset(ref));
    if (!result.ok) return api.json<ConnectionActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<ConnectionActionResult>({ ok: true, intent, message: 'The pool was drained and a new one opened' });
  }
  return api.json<ConnectionActionResult>(unknownIntent(intent), { status: 400 });
}

type LoadedConnection = ReturnType<typeof useLoaderData<typeof loader>>['connection'];
type LoadedPool = ReturnType<typeof useLoaderData<typeof loader>>['status']['pool'];

/**
 * What encryption the settings ask for, and what was negotiated: by the open pool's latest
 * connection, else at the last test that got past the login. Nothing is shown as negotiated that
 * was only asked for.
 */
function TlsPanel({ connection, pool }: { connection: LoadedConnection; pool: LoadedPool }) {
  const requested = connection.encryption;
  const negotiated: (NegotiatedTlsView & { encrypted: boolean }) | null = pool?.tls ?? connection.lastTls;
  const source = pool?.tls ? 'Negotiated by the open pool’s latest connection' : connection.lastTls ? `Negotiated at the last test, ${formatDateTime(connection.lastTestedAt)}` : null;
  return (
    <Card title="TLS">
      <div className="stack" data-testid="tls-panel">
        <p>
          Asked for: <strong>{encryptionChoice(connection.type, requested.mode)?.label ?? requested.mode}</strong>
          {requested.tlsRequired ? ' — a server without TLS is refused' : ''}
        </p>
        <EncryptionWarningBadge type={connection.type} mode={requested.mode} certificateChecked={requested.certificateCheck !== 'none'} />
        {negotiated === null ? (
          <p className="muted" data-testid="tls-negotiated">
            Nothing negotiated yet: Test connection shows what the server offers.
          </p>
        ) : (
          <div className="stack" data-testid="tls-negotiated">
            <p className="muted small">{source}</p>
            {negotiated.encrypted ? (
              <TlsDetails tls={negotiated} />
            ) : (
              <p>
                <Badge tone="warning">Plaintext</Badge> Nothing was encrypted.
              </p>
            )}
          </div>
        )}
      </div>
    </Card>
  );
}

function addressOf(server: { host: string; port?: number | undefined }, defaultPort: number): string {
  return `${server.host}:${server.port ?? defaultPort}`;
}

/** The server the open pool is connected to, and whether that is the connection's own host. */
function ServingServer({ connection, server }: { connection: LoadedConnection; server: { host: string; port: number } }) {
  const isPrimary = server.host === connection.host && server.port === connection.port;
  const hasOthers = connection.failoverPartner !== null || connection.alternateHosts.length > 0;
  return (
    <>
      {server.host}:{server.port}{' '}
      {isPrimary ? (
        hasOthers ? (
          <Badge tone="success">primary</Badge>
        ) : null
      ) : connection.type === 'mssql' ? (
        <>
          <Badge tone="warning">failover partner</Badge>
          <span className="muted small"> The primary refused logins or went down. Once it is back, Reset pool to return to it.</span>
        </>
      ) : (
        <>
          <Badge tone="warning">other host</Badge>
          <span className="muted small"> The first host could not be used.</span>
        </>
      )}
    </>
  );
}

export default function ConnectionDetail() {
  const { connection, permissions, status } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  // A new attempt clears the last one's answer at once (no stale error above the new test).
  const starting = useSubmitting('test');
  const pool = status.pool;
  const testDenial = useDenial(permissions.can['connection.test']);
  const resetDenial = useDenial(permissions.can['connection.reset']);
  const testRunId = useShownTestRun(result?.ok ? result.value?.testRunId : undefined, starting);
  return (
    <>
      <PageHeader
        title={connection.name}
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections`}>Connections</Link> · {connection.host}:{connection.port} / {connection.database}
          </>
        }
        actions={
          <Form method="post" className="row">
            <Link className="btn btn-secondary" to={`/w/${workspace.slug}/console/${connection.id}`}>
              Open console
            </Link>
            <GuardedLink className="btn btn-secondary" to={`/w/${workspace.slug}/connections/${connection.id}/schema`} verdict={permissions.can['connection.schema']}>
              Browse schema
            </GuardedLink>
            <GuardedLink className="btn btn-secondary" to={`/w/${workspace.slug}/connections/${connection.id}/edit`} verdict={permissions.can['connection.update']}>
              Edit
            </GuardedLink>
            <GuardedLink className="btn btn-danger" to={`/w/${workspace.slug}/connections/${connection.id}/delete`} verdict={workspace.can['connection.delete']}>
              Delete…
            </GuardedLink>
            <SubmitButton intent="test" variant="secondary" pendingLabel="Testing…" disabled={testDenial.denied} aria-describedby={testDenial.control['aria-describedby']}>
              Test connection
            </SubmitButton>
            {testDenial.reason}
            <ConfirmedSubmitButton
              intent="reset"
              disabled={resetDenial.denied}
              aria-describedby={resetDenial.control['aria-describedby']}
              pendingLabel="Resetting…"
              title={`Reset the pool of ${connection.name}?`}
              confirmLabel="Reset pool"
              description={
                <p>
                  Every open connection to {connection.host}:{connection.port} / {connection.database} is closed. Queries running on them now, for anyone in this workspace,
                  are cancelled and fail; the next requests open fresh connections.
                </p>
              }
            >
              Reset pool
            </ConfirmedSubmitButton>
            {resetDenial.reason}
          </Form>
        }
      />
      {starting ? null : <ActionAlert result={result?.ok && result.intent === 'test' ? undefined : result} />}
      {testRunId ? <WatchedTest key={testRunId} slug={workspace.slug} runId={testRunId} revalidateOnEnd /> : null}
      {!permissions.canUse ? (
        <Alert tone="info" title="You cannot use this connection">
          Ask a workspace Owner or Admin for access.
        </Alert>
      ) : !permissions.canManage ? (
        <p className="muted small" data-testid="access-note">
          You can use this connection. Resetting its pool or changing it needs the manage grant or an Owner/Admin role.
        </p>
      ) : null}
      <div className="stats">
        <Card title="Status">
          <p>
            <StatusBadge status={status.status} lastTestedAt={status.lastTestedAt} />
          </p>
          {status.circuitOpen ? <Badge tone="danger">Circuit open: new connections are refused for now</Badge> : null}
          {status.lastError ? <p className="step-error small">Last error: {status.lastError}</p> : null}
          <p className="muted small">Last tested: {formatDateTime(status.lastTestedAt)}</p>
        </Card>
        <Card title="Pool">
          {pool ? (
            <div className="stack" data-testid="pool-stats">
              <Meter label="Open connections" value={pool.size} max={pool.poolSize} />
              <Meter label="In use" value={pool.borrowed} max={pool.poolSize} />
              <dl className="details">
                <dt>State</dt>
                <dd>{pool.state}</dd>
                <dt>Server</dt>
                <dd data-testid="pool-server">
                  <ServingServer connection={connection} server={pool.server} />
                </dd>
                <dt>Idle</dt>
                <dd>{pool.idle}</dd>
                <dt>Waiting</dt>
                <dd>{pool.waiters}</dd>
                <dt>Acquires</dt>
                <dd>
                  {pool.acquires} (avg {pool.acquireAvgMs.toFixed(1)} ms)
                </dd>
                <dt>Errors</dt>
                <dd>{pool.errors}</dd>
                <dt>Opened</dt>
                <dd>{formatDateTime(pool.createdAt)}</dd>
              </dl>
            </div>
          ) : (
            <p className="muted" data-testid="pool-stats">
              No pool is open. One opens on first use (pool size {connection.poolSize}).
            </p>
          )}
        </Card>
      </div>
      <TlsPanel connection={connection} pool={pool} />
      <Card title="Settings">
        <dl className="details">
          <dt>Type</dt>
          <dd>{connectionTypeLabels[connection.type]}</dd>
          <dt>Host</dt>
          <dd>
            {connection.host}:{connection.port}
          </dd>
          <dt>Database</dt>
          <dd>{connection.database}</dd>
          <dt>User</dt>
          <dd>{connection.user ?? <span className="muted">shown to managers only</span>}</dd>
          <dt>Password</dt>
          <dd>{connection.hasPassword ? 'set (write-only)' : 'not set'}</dd>
          <dt>Encryption</dt>
          <dd>
            {encryptionChoice(connection.type, connection.encryption.mode)?.label ?? connection.encryption.mode} <span className="muted small">(asked for; see TLS for what was negotiated)</span>
          </dd>
          {connection.type === 'mssql' ? (
            <>
              <dt>Failover partner</dt>
              <dd data-testid="settings-failover-partner">{connection.failoverPartner ? addressOf(connection.failoverPartner, 1433) : <span className="muted">none</span>}</dd>
              <dt>Read intent</dt>
              <dd data-testid="settings-read-intent">
                {connection.readIntent ? 'On: schema browsing and read-only console runs log in with read-only intent, routed to a readable secondary' : <span className="muted">Off: everything goes to the primary</span>}
              </dd>
            </>
          ) : null}
          {connection.type === 'postgres' ? (
            <>
              <dt>Other hosts</dt>
              <dd data-testid="settings-alternate-hosts">
                {connection.alternateHosts.length > 0 ? (
                  <ol className="server-list">
                    {connection.alternateHosts.map((server) => (
                      <li key={`${server.host}:${server.port ?? ''}`}>{addressOf(server, 5432)}</li>
                    ))}
                  </ol>
                ) : (
                  <span className="muted">none</span>
                )}
              </dd>
              <dt>Server to use</dt>
              <dd data-testid="settings-target-session">{connection.targetSessionAttrs === 'read-write' ? 'Read-write server only (read-only standbys are skipped)' : 'Any server that answers'}</dd>
            </>
          ) : null}
          <dt>Pool size</dt>
          <dd>{connection.poolSize}</dd>
        </dl>
        {canManageWorkspace(workspace.role) ? (
          <p className="small">
            Change these settings with Edit (an environment&apos;s connection also from its <Link to={`/w/${workspace.slug}/settings/environments`}>environment</Link>); grant access under{' '}
            <Link to={`/w/${workspace.slug}/settings/access?connection=${connection.id}`}>Access</Link>.
          </p>
        ) : null}
      </Card>
    </>
  );
}
