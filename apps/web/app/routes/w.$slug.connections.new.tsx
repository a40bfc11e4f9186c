// New connection of any type: the type picker fills in its defaults; "Test" starts the connection
// test on the typed parameters (watched step by step, with Cancel), "Create connection" saves.
import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData } from '@remix-run/react';
import { ConnectionForm } from '../components/connection-form';
import { ActionAlert, useSubmitting } from '../components/form';
import { WatchedTest } from '../components/test-run';
import { PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionCreateInput, connectionDraftInput } from '../lib/connection-form';
import { failure, valuesOf, type ActionResult } from '../lib/forms';
import { canManageWorkspace } from '../lib/nav';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'New connection · Workspace Studio' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspace = await api.load((c) => c.workspaces.get({ workspaceSlug: params.slug ?? '' }));
  // The API refuses the create anyway; saying so before the form is filled in is kinder.
  if (!canManageWorkspace(workspace.role)) {
    throw json({ error: 'forbidden', message: 'Creating connections needs an Owner or Admin role in this workspace.', details: {} }, { status: 403 });
  }
  return api.json({});
}

type NewConnectionResult = ActionResult<{ testRunId?: string; typed?: Record<string, string> }>;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const workspaceSlug = params.slug ?? '';
  if (intent === 'test') {
    const result = await api.attempt((c) => c.connections.testDraftStart({ workspaceSlug, ...connectionDraftInput(form) }));
    if (!result.ok) return api.json<NewConnectionResult>(failure(result.problem, form, { intent }), { status: result.status });
    // The form keeps what was typed (never the password) so the user can save next; the page
    // watches the run's steps as they finish.
    return api.json<NewConnectionResult>({ ok: true, intent, value: { testRunId: result.value.id, typed: valuesOf(form) } });
  }
  const result = await api.attempt((c) => c.connections.create({ workspaceSlug, ...connectionCreateInput(form) }));
  if (!result.ok) return api.json<NewConnectionResult>(failure(result.problem, form, { intent }), { status: result.status });
  return api.redirect(`/w/${workspaceSlug}/connections/${result.value.id}`);
}

export default function NewConnection() {
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  // A new attempt clears the last one's answer at once (no stale error above the new test).
  const starting = useSubmitting('test');
  const testRunId = result?.ok ? result.value?.testRunId : undefined;
  return (
    <>
      <PageHeader
        title="New connection"
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections`}>Connections</Link> · SQL Server, PostgreSQL or MySQL/MariaDB. Environments make their own SQL Server connection.
          </>
        }
      />
      {starting || testRunId ? null : <ActionAlert result={result} />}
      <ConnectionForm
        mode="create"
        initial={{}}
        result={result}
        typed={result?.ok ? result.value?.typed : undefined}
        testPanel={!starting && testRunId ? <WatchedTest key={testRunId} slug={workspace.slug} runId={testRunId} /> : null}
      />
    </>
  );
}
