// Workspace database migrations (MISSION F5): the schema status of an environment's SQL Server
// database (version, pending migrations, drift, last error), and for Owners/Admins Apply,
// Rollback 1 and dry runs that show the SQL; system Admins also migrate every workspace at once.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, ConfirmedSubmitButton, SubmitButton } from '../components/form';
import { useDenial } from '../components/permission';
import { Alert, Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import type { BadgeTone } from '../lib/connection-status';
import { requireUser } from '../lib/api.server';
import { failure, integer, text, type ActionResult } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';
import { lastMigrationRunText } from '../lib/words';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Migrations · Workspace Studio' }];

const statusBadge: Record<string, { tone: BadgeTone; label: string }> = {
  current: { tone: 'success', label: 'Current' },
  needs_migration: { tone: 'warning', label: 'Needs migration' },
  uninitialised: { tone: 'warning', label: 'Not migrated yet' },
  drifted: { tone: 'danger', label: 'Drifted' },
  unknown: { tone: 'neutral', label: 'Unknown' },
};

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const chosen = new URL(request.url).searchParams.get('environment') ?? undefined;
  const [choices, canApplyAll] = await Promise.all([
    api.load((c) => c.environments.choices({ workspaceSlug, limit: 200 })),
    api.load((c) => c.workspaceMigrations.canApplyAll()),
  ]);
  const environmentId = chosen && choices.items.some((e) => e.id === chosen) ? chosen : undefined;
  const status = await api.attempt((c) => c.workspaceMigrations.status({ workspaceSlug, environmentId }));
  return api.json({
    environments: choices.items.map((e) => ({ id: e.id, name: e.name, isDefault: e.isDefault, configured: e.configured })),
    status: status.ok ? status.value : null,
    problem: status.ok ? null : status.problem,
    canApplyAll: canApplyAll.allowed,
  });
}

interface RunView {
  workspaceSlug: string;
  environmentName: string | null;
  outcome: string;
  from?: number | null;
  to?: number | null;
  migrations?: { version: number; name: string }[];
  error?: { code: string; number: number | null; message: string } | null;
  reason?: string;
}

type MigrationActionResult = ActionResult<{ runs?: RunView[]; script?: string; summary?: string }>;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const workspaceSlug = params.slug ?? '';
  const environmentId = text(form, 'environmentId');
  const answer = (value: NonNullable<MigrationActionResult & { ok: true }>['value'], message: string) =>
    api.json<MigrationActionResult>({ ok: true, intent, message, value });

  if (intent === 'dryRunUp' || intent === 'dryRunDown') {
    const result = await api.attempt((c) =>
      c.workspaceMigrations.dryRun({ workspaceSlug, environmentId, direction: intent === 'dryRunUp' ? 'up' : 'down', ...(intent === 'dryRunDown' && { steps: 1 }) }),
    );
    if (!result.ok) return api.json<MigrationActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    const plan = result.value.plan.map((p) => `V${p.version} ${p.name}`).join(', ');
    return answer({ script: result.value.script }, plan ? `Dry run: ${plan} (${intent === 'dryRunUp' ? 'apply' : 'roll back'}), nothing changed` : 'Dry run: nothing to do');
  }
  if (intent === 'applyAll') {
    const result = await api.attempt((c) => c.workspaceMigrations.applyAll({ concurrency: integer(form, 'concurrency') }));
    if (!result.ok) return api.json<MigrationActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    const { ok, failed, skipped, durationMs } = result.value;
    return answer({ runs: result.value.results, summary: `${ok} ok, ${failed} failed, ${skipped} skipped in ${durationMs} ms` }, `Migrated every workspace: ${ok} ok, ${failed} failed, ${skipped} skipped`);
  }
  const result = await api.attempt((c) =>
    intent === 'rollback' ? c.workspaceMigrations.rollback({ workspaceSlug, environmentId, steps: 1 }) : c.workspaceMigrations.migrate({ workspaceSlug, environmentId }),
  );
  if (!result.ok) return api.json<MigrationActionResult>(failure(result.problem, form, { intent }), { status: result.status });
  const run = result.value;
  const message = run.ok
    ? run.outcome === 'current'
      ? 'Nothing to do: the database is current'
      : `${run.outcome === 'applied' ? 'Applied' : 'Rolled back'} ${run.migrations.map((m) => `V${m.version}`).join(', ')}: version ${run.from ?? 'none'} → ${run.to ?? 'none'}`
    : `The run ${run.outcome === 'failed' ? 'failed' : `was refused (${run.outcome})`}: ${run.error?.message ?? ''}`;
  return answer({ runs: [run] }, message);
}

function RunsTable({ runs }: { runs: RunView[] }) {
  return (
    <DataTable columns={['Workspace', 'Environment', 'Outcome', 'Version', 'Migrations', 'Error']}>
      {runs.map((r) => (
        <tr key={`${r.workspaceSlug}:${r.environmentName ?? ''}`} data-run={r.workspaceSlug}>
          <td data-label="Workspace">{r.workspaceSlug}</td>
          <td data-label="Environment">{r.environmentName ?? '—'}</td>
          <td data-label="Outcome">
            <Badge tone={r.outcome === 'failed' || r.outcome === 'drifted' || r.outcome === 'locked' ? 'danger' : r.outcome === 'skipped' ? 'neutral' : 'success'}>{r.outcome}</Badge>
          </td>
          <td data-label="Version">{r.outcome === 'skipped' ? '—' : `${r.from ?? 'none'} → ${r.to ?? 'none'}`}</td>
          <td data-label="Migrations">{r.migrations?.map((m) => `V${m.version} ${m.name}`).join(', ') || '—'}</td>
          <td data-label="Error" className="small">
            {r.error ? `${r.error.code}${r.error.number === null ? '' : ` ${r.error.number}`}: ${r.error.message}` : (r.reason ?? '')}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export default function Migrations() {
  const { environments, status, problem, canApplyAll } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  // Applying, rolling back and dry runs are one permission; one sentence describes all four buttons.
  const applyDenial = useDenial(workspace.can['migration.apply']);
  const describedBy = applyDenial.control['aria-describedby'];
  const badge = status ? (statusBadge[status.status] ?? { tone: 'neutral' as const, label: status.status }) : null;
  const value = result?.ok ? result.value : undefined;
  return (
    <>
      <PageHeader
        title="Migrations"
        description="The studio's schema inside each environment's SQL Server database: which version it is at, what is pending, and whether it drifted."
      />
      <ActionAlert result={result} tone={value?.runs?.some((r) => r.outcome !== 'skipped' && r.outcome !== 'applied' && r.outcome !== 'current' && r.outcome !== 'rolled_back') ? 'danger' : undefined} />
      {environments.length > 1 ? (
        <Form method="get" className="row" aria-label="Choose an environment">
          <label htmlFor="environment">Environment</label>
          <select id="environment" name="environment" defaultValue={status?.environmentId}>
            {environments.map((e) => (
              <option key={e.id} value={e.id} disabled={!e.configured}>
                {e.name}
                {e.isDefault ? ' (default)' : ''}
                {e.configured ? '' : ' (not configured)'}
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-secondary btn-small">
            Show
          </button>
        </Form>
      ) : null}
      {problem ? (
        <Alert tone="info" title={problem.message}>
          <p className="muted small">Error code: {problem.error}</p>
        </Alert>
      ) : null}
      {status && badge ? (
        <Card
          title={
            <>
              {status.environmentName} <Badge tone={badge.tone}>{badge.label}</Badge>
            </>
          }
        >
          {!status.reachable ? (
            <Alert tone="warning" title="The database could not be reached; showing the last known state">
              {status.error ? <p className="small">{`${status.error.code}${status.error.number === null ? '' : ` ${status.error.number}`}: ${status.error.message}`}</p> : null}
            </Alert>
          ) : null}
          <dl className="details">
            <dt>Version</dt>
            <dd data-testid="schema-version">
              {status.currentVersion ?? 'none'} of {status.latestVersion}
            </dd>
            <dt>Pending</dt>
            <dd>{status.pending.length === 0 ? 'nothing' : status.pending.map((p) => `V${p.version} ${p.name}`).join(', ')}</dd>
            <dt>Last run</dt>
            <dd>{status.lastRun ? `${lastMigrationRunText(status.lastRun)}, ${formatDateTime(status.lastRun.at)}` : 'never from the studio'}</dd>
            <dt>Checked</dt>
            <dd>{formatDateTime(status.checkedAt)}</dd>
          </dl>
          {status.problems.length > 0 ? (
            <Alert tone="danger" title="Drift: the database disagrees with the migrations. Nothing is changed automatically; a person must decide.">
              <ul>
                {status.problems.map((p) => (
                  <li key={`${p.kind}:${p.version}`}>{p.message}</li>
                ))}
              </ul>
            </Alert>
          ) : null}
          {status.lastError ? (
            <Alert tone="danger" title={`Last failure: V${status.lastError.version ?? '?'}${status.lastError.number === null ? '' : `, SQL Server error ${status.lastError.number}`}`}>
              <p className="small">{status.lastError.message}</p>
            </Alert>
          ) : null}
          {status.entries.length > 0 ? (
            <DataTable columns={['Version', 'Name', 'State', 'Applied', 'By']}>
              {status.entries.map((e) => (
                <tr key={e.version} data-migration={e.version}>
                  <td data-label="Version">V{e.version}</td>
                  <td data-label="Name">{e.name}</td>
                  <td data-label="State">
                    <Badge tone={e.state === 'applied' ? 'success' : e.state === 'pending' ? 'warning' : 'danger'}>{e.state}</Badge>
                  </td>
                  <td data-label="Applied" className="small">
                    {e.appliedAt ? `${formatDateTime(e.appliedAt)}${e.executionMs === undefined ? '' : ` (${e.executionMs} ms)`}` : '—'}
                  </td>
                  <td data-label="By" className="small">
                    {e.appliedBy ?? '—'}
                  </td>
                </tr>
              ))}
            </DataTable>
          ) : null}
          <Form method="post" className="row" aria-label="Run migrations" style={{ marginTop: '1rem' }}>
            <input type="hidden" name="environmentId" value={status.environmentId} />
            <SubmitButton intent="migrate" pendingLabel="Applying…" disabled={applyDenial.denied || status.status === 'current' || status.status === 'drifted'} aria-describedby={describedBy}>
              Apply pending
            </SubmitButton>
            <ConfirmedSubmitButton
              intent="rollback"
              pendingLabel="Rolling back…"
              disabled={applyDenial.denied || status.currentVersion === null || status.status === 'drifted'}
              aria-describedby={describedBy}
              title={`Roll back V${status.currentVersion ?? ''} on ${status.environmentName}?`}
              confirmLabel={`Roll back V${status.currentVersion ?? ''}`}
              description={<RollbackWarning version={status.currentVersion} name={status.entries.find((e) => e.version === status.currentVersion)?.name ?? null} environment={status.environmentName} />}
            >
              Rollback 1
            </ConfirmedSubmitButton>
            <SubmitButton intent="dryRunUp" variant="secondary" pendingLabel="Planning…" disabled={applyDenial.denied} aria-describedby={describedBy}>
              Dry run: apply
            </SubmitButton>
            <SubmitButton intent="dryRunDown" variant="secondary" pendingLabel="Planning…" disabled={applyDenial.denied || status.currentVersion === null} aria-describedby={describedBy}>
              Dry run: rollback 1
            </SubmitButton>
            {applyDenial.reason}
          </Form>
        </Card>
      ) : !problem ? (
        <Card>
          <EmptyState title="No environment to show" />
        </Card>
      ) : null}
      {value?.script ? (
        <Card title="SQL that would run">
          <pre data-testid="dry-run-script" style={{ overflow: 'auto', maxHeight: '28rem', fontSize: '0.85rem' }}>
            {value.script}
          </pre>
        </Card>
      ) : null}
      {value?.runs ? (
        <Card title={value.summary ? `Report: ${value.summary}` : 'Report'}>
          <RunsTable runs={value.runs} />
        </Card>
      ) : null}
      {canApplyAll ? (
        <Card title="Every workspace (system Admins)">
          <p className="muted small">Applies pending migrations to each workspace&apos;s default environment, a few at a time, carrying on past failures.</p>
          <Form method="post" className="row" aria-label="Migrate every workspace">
            <label htmlFor="concurrency">At once</label>
            <input id="concurrency" name="concurrency" type="number" min={1} max={64} defaultValue={4} />
            <SubmitButton intent="applyAll" pendingLabel="Migrating every workspace…">
              Apply to all workspaces
            </SubmitButton>
          </Form>
        </Card>
      ) : null}
    </>
  );
}

function RollbackWarning({ version, name, environment }: { version: number | null; name: string | null; environment: string }) {
  return (
    <>
      <p>
        This runs the down script of <strong>V{version}</strong>
        {name ? ` (${name})` : ''} on the <strong>{environment}</strong> database. A down script usually drops what the migration created: tables and their data are deleted
        and cannot be restored from here.
      </p>
      <p className="muted small">Use “Dry run: rollback 1” first to read the SQL that would run.</p>
    </>
  );
}
