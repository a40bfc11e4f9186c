import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useActionData } from '@remix-run/react';
import { EnvironmentForm } from '../components/environment-form';
import { environmentSaved, EnvironmentResult, type EnvironmentActionResult } from '../components/environment-result';
import { PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { environmentCreateInput, environmentFieldAlias } from '../lib/environment-form';
import { failure } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'New environment · Workspace Studio' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  // Settings are for Owners/Admins: a 403 here renders the page's error boundary with the API's reason.
  await api.load((c) => c.environments.list({ workspaceSlug: params.slug ?? '', limit: 1 }));
  return api.json({});
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const input = environmentCreateInput(form);
  const result = await api.attempt((c) => c.environments.create({ workspaceSlug: params.slug ?? '', ...input }));
  if (!result.ok) return api.json<EnvironmentActionResult>(failure(result.problem, form, { intent: String(form.get('intent')), alias: environmentFieldAlias }), { status: result.status });
  return api.json(environmentSaved(String(form.get('intent')), result.value));
}

export default function NewEnvironment() {
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader title="New environment" description="Point the workspace at a SQL Server database. The connection is tested before anything is saved." />
      <EnvironmentResult result={result} />
      {result?.ok ? (
        <div className="row">
          <Link className="btn btn-primary" to={`/w/${workspace.slug}/settings/environments/${result.value?.environmentId ?? ''}`}>
            Open the environment
          </Link>
          <Link className="btn btn-secondary" to={`/w/${workspace.slug}/settings/environments`}>
            Back to environments
          </Link>
        </div>
      ) : (
        <EnvironmentForm mode="create" initial={{}} result={result} isOwner={workspace.role === 'Owner'} />
      )}
    </>
  );
}
