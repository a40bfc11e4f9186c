// One environment: its settings form (Test and save / Save without testing), make default, delete.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { EnvironmentForm } from '../components/environment-form';
import { environmentSaved, EnvironmentResult, type EnvironmentActionResult } from '../components/environment-result';
import { SubmitButton } from '../components/form';
import { Badge, Card, PageHeader, StatusBadge } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { environmentFieldAlias, environmentUpdateInput } from '../lib/environment-form';
import { failure } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.environment.name ?? 'Environment'} · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const environment = await api.load((c) => c.environments.get({ workspaceSlug: params.slug ?? '', environmentId: params.environmentId ?? '' }));
  const connection = environment.connection;
  return api.json({
    environment: {
      id: environment.id,
      name: environment.name,
      description: environment.description,
      isDefault: environment.isDefault,
      connection: connection && {
        id: connection.id,
        name: connection.name,
        host: connection.host,
        port: connection.port,
        database: connection.database,
        user: connection.user,
        hasPassword: connection.hasPassword,
        options: connection.options,
        encryption: connection.encryption,
        status: connection.status,
        lastTestedAt: connection.lastTestedAt,
        lastError: connection.lastError,
      },
    },
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? 'save');
  const workspaceSlug = params.slug ?? '';
  const environmentId = params.environmentId ?? '';
  if (intent === 'delete') {
    const result = await api.attempt((c) => c.environments.delete({ workspaceSlug, environmentId, deleteConnection: form.get('deleteConnection') === 'on' }));
    if (!result.ok) return api.json<EnvironmentActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.redirect(`/w/${workspaceSlug}/settings/environments`);
  }
  if (intent === 'setDefault') {
    const result = await api.attempt((c) => c.environments.setDefault({ workspaceSlug, environmentId }));
    if (!result.ok) return api.json<EnvironmentActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<EnvironmentActionResult>({ ok: true, intent, message: `“${result.value.name}” is now the default environment` });
  }
  const result = await api.attempt((c) => c.environments.update({ workspaceSlug, ...environmentUpdateInput(form, environmentId) }));
  if (!result.ok) return api.json<EnvironmentActionResult>(failure(result.problem, form, { intent, alias: environmentFieldAlias }), { status: result.status });
  return api.json(environmentSaved(intent, result.value));
}

export default function EnvironmentSettings() {
  const { environment } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  const connection = environment.connection;
  return (
    <>
      <PageHeader
        title={environment.name}
        description={
          <>
            <Link to={`/w/${workspace.slug}/settings/environments`}>Environments</Link> · {environment.isDefault ? <Badge tone="info">Default</Badge> : 'Not the default'}
          </>
        }
        actions={
          <Form
            method="post"
            className="row"
            onSubmit={(event) => {
              const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
              const withConnection = (event.currentTarget.elements.namedItem('deleteConnection') as HTMLInputElement | null)?.checked === true;
              const question = `Delete the environment “${environment.name}”? ${withConnection ? 'Its connection is deleted too.' : 'Its connection is kept.'}`;
              if (submitter?.value === 'delete' && !window.confirm(question)) event.preventDefault();
            }}
          >
            {connection ? (
              <label className="small row" title="Deleted only when no other environment uses it">
                <input type="checkbox" name="deleteConnection" defaultChecked /> Delete its connection too
              </label>
            ) : null}
            {!environment.isDefault ? (
              <SubmitButton intent="setDefault" variant="secondary">
                Make default
              </SubmitButton>
            ) : null}
            <SubmitButton intent="delete" variant="danger" pendingLabel="Deleting…">
              Delete
            </SubmitButton>
          </Form>
        }
      />
      {connection ? (
        <Card title="Connection status">
          <p>
            <StatusBadge status={connection.status} lastTestedAt={connection.lastTestedAt} />
          </p>
          {connection.lastError ? <p className="step-error small">Last error: {connection.lastError}</p> : null}
          <p className="small">
            <Link to={`/w/${workspace.slug}/connections/${connection.id}`}>Connection “{connection.name}”: pool and tests</Link>
          </p>
        </Card>
      ) : null}
      <EnvironmentResult result={result} />
      <EnvironmentForm key={environment.id} mode="update" initial={environment} result={result} isOwner={workspace.role === 'Owner'} />
    </>
  );
}
