// Backups of the system database (system Admins): what was taken when, by whom or the schedule,
// with its outcome and manifest summary; take one now; download a file. Restoring is a command-line
// job (pnpm db:restore) because it replaces the database this app runs on.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, SubmitButton } from '../components/form';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { PlainShell } from '../components/user-menu';
import { signedInUser } from '../lib/account.server';
import { requireUser } from '../lib/api.server';
import { failure, unknownIntent, type ActionResult } from '../lib/forms';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Backups · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const [user, runs] = await Promise.all([signedInUser(api), api.load((c) => c.backups.list({ limit: 100 }))]);
  const { config } = context.studio.services.backups;
  return api.json({
    user,
    runs: runs.items,
    settings: { schedule: config.schedule ?? null, keep: config.keep, maxAgeDays: config.maxAgeDays, dir: config.dir },
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  if (intent !== 'run') return api.json<ActionResult>(unknownIntent(intent), { status: 400 });
  const result = await api.attempt((c) => c.backups.run({}));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
  const run = result.value;
  if (run.outcome === 'failure') {
    // The run is recorded and audited as failed; the page says why (the reason names no secret).
    const problem = { error: 'backup_failed', message: `The backup failed: ${run.error ?? 'unknown error'}`, details: { backupId: run.id } };
    return api.json<ActionResult>({ ok: false, intent, problem, fieldErrors: {}, values: {} }, { status: 502 });
  }
  return api.json<ActionResult>({ ok: true, intent, message: `Backup ${run.fileName ?? ''} written (${formatBytes(run.bytes)}, ${run.durationMs ?? 0} ms).` });
}

function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1_048_576) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

const OUTCOME_TONES = { success: 'success', failure: 'danger', running: 'info' } as const;

export default function Backups() {
  const { user, runs, settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <PlainShell user={user}>
      <PageHeader
        title="Backups"
        description="Compressed backups of the system database (people, workspaces, connections, audit log). Encryption keys are not in them: keep ENCRYPTION_KEYS safe separately."
        actions={
          <Form method="post">
            <SubmitButton intent="run" pendingLabel="Backing up…">
              Back up now
            </SubmitButton>
          </Form>
        }
      />
      <ActionAlert result={result} successTitle="Backup written" />
      <Card title="Settings">
        <dl className="details" data-testid="backup-settings">
          <dt>Schedule</dt>
          <dd>{settings.schedule ? <code>{settings.schedule}</code> : 'Off (set BACKUP_SCHEDULE, a cron expression in UTC)'}</dd>
          <dt>Retention</dt>
          <dd>
            Newest {settings.keep === 0 ? 'any number' : settings.keep}, {settings.maxAgeDays === 0 ? 'any age' : `younger than ${settings.maxAgeDays} days`} (BACKUP_KEEP, BACKUP_MAX_AGE_DAYS)
          </dd>
          <dt>Folder</dt>
          <dd>
            <code className="wrap-anywhere">{settings.dir}</code>
          </dd>
          <dt>Restore</dt>
          <dd>
            <code>pnpm db:restore FILE</code> with the app stopped (see the README&apos;s operations section)
          </dd>
        </dl>
      </Card>
      <Card title="History">
        {runs.length === 0 ? (
          <EmptyState title="No backup yet">Take the first one with “Back up now”.</EmptyState>
        ) : (
          <DataTable columns={['Started', 'Trigger', 'Outcome', 'Size', 'Contents', '']} label="Backups">
            {runs.map((run) => (
              <tr key={run.id} data-backup={run.id}>
                <td data-label="Started">
                  {formatDateTime(run.startedAt)}
                  {run.durationMs !== null ? <span className="muted small"> · {run.durationMs} ms</span> : null}
                </td>
                <td data-label="Trigger">{run.trigger === 'scheduled' ? 'Schedule' : 'Manual'}</td>
                <td data-label="Outcome">
                  <Badge tone={OUTCOME_TONES[run.outcome]}>{run.outcome}</Badge>
                  {run.error ? <div className="muted small wrap-anywhere">{run.error}</div> : null}
                </td>
                <td data-label="Size">{formatBytes(run.bytes)}</td>
                <td data-label="Contents">
                  {run.summary ? (
                    <span className="small">
                      {run.summary.rows} rows in {run.summary.tables} tables · schema {run.summary.migration ?? '—'} · {run.summary.engine === 'pglite' ? 'embedded' : 'PostgreSQL'}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="">
                  {run.downloadable ? (
                    <a className="btn btn-secondary btn-small" href={`/backups/${run.id}/file`} download={run.fileName ?? undefined}>
                      Download
                    </a>
                  ) : run.outcome === 'success' ? (
                    <span className="muted small">removed by retention</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </PlainShell>
  );
}
