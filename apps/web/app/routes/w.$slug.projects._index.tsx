// Import projects (seed 004): the list, and a new project with its CSV settings.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, redirect, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, SubmitButton } from '../components/form';
import { ProjectFields } from '../components/project-form';
import { Card, DataTable, EmptyState, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { failure, text, type ActionResult } from '../lib/forms';
import { configFromForm, projectFieldErrors } from '../lib/project-form';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Imports · Workspace Studio' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const [projects, connections] = await Promise.all([
    api.load((c) => c.projects.list({ workspaceSlug, limit: 200 })),
    api.load((c) => c.connections.list({ workspaceSlug, limit: 200 })),
  ]);
  return api.json({
    projects: projects.items.map((p) => ({ id: p.id, name: p.name, description: p.description, connection: p.connection, mappings: p.config.mappings.length })),
    connections: connections.items.map((c) => ({ id: c.id, name: c.name, type: c.type })),
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const result = await api.attempt((c) =>
    c.projects.create({
      workspaceSlug: params.slug ?? '',
      name: text(form, 'name') ?? '',
      description: text(form, 'description') ?? null,
      connectionId: text(form, 'connectionId') ?? null,
      config: configFromForm(form) as never,
    }),
  );
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form), { status: result.status });
  return redirect(`/w/${params.slug ?? ''}/projects/${result.value.id}`);
}

export default function Projects() {
  const { projects, connections } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failed = result && !result.ok ? result : undefined;
  return (
    <>
      <PageHeader title="Imports" description="Import projects: which connection CSV files go to, and how they read. Import a file from a project's page, or with pnpm run import." />
      <Card>
        {projects.length === 0 ? (
          <EmptyState title="No import projects yet">Create one below.</EmptyState>
        ) : (
          <DataTable columns={['Project', 'Connection', 'Mappings']}>
            {projects.map((p) => (
              <tr key={p.id} data-project={p.name}>
                <td data-label="Project">
                  <Link to={p.id} className="strong">
                    {p.name}
                  </Link>
                  {p.description ? <p className="muted small">{p.description}</p> : null}
                </td>
                <td data-label="Connection">{p.connection ? `${p.connection.name} (${p.connection.type})` : <span className="muted">none: imports are refused</span>}</td>
                <td data-label="Mappings">{p.mappings}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
      <Card title="New project">
        <ActionAlert result={result} />
        <Form method="post" className="form-grid" aria-label="Create an import project">
          <ProjectFields connections={connections} errors={projectFieldErrors(failed?.fieldErrors ?? {})} values={failed?.values} />
          <div className="form-actions">
            <SubmitButton pendingLabel="Creating…">Create project</SubmitButton>
          </div>
        </Form>
      </Card>
    </>
  );
}
