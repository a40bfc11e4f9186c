// Create a workspace (the creator becomes its Owner). Also where a user who belongs to no workspace
// yet, e.g. someone who just signed in with Google, lands.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { ActionAlert, Field, SubmitButton } from '../components/form';
import { requireUser } from '../lib/api.server';
import { failure, text, type ActionResult } from '../lib/forms';
import { slugFromName } from '../lib/slug';

export const meta: MetaFunction = () => [{ title: 'New workspace · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const mine = await api.load((c) => c.workspaces.listMine({ limit: 1 }));
  return api.json({ hasWorkspace: mine.items.length > 0, username: api.user.username });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const name = text(form, 'name') ?? '';
  // Left empty (or sent without script): the slug the page would have suggested.
  const slug = text(form, 'slug') ?? slugFromName(name);
  const result = await api.attempt((c) => c.workspaces.create({ name, slug, description: text(form, 'description') ?? null }));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form), { status: result.status });
  return api.redirect(`/w/${result.value.slug}`);
}

export default function NewWorkspace() {
  const { hasWorkspace, username } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failed = result && !result.ok ? result : undefined;
  const [slug, setSlug] = useState(failed?.values.slug ?? '');
  // The slug follows the name as it is typed until the person edits the slug themselves.
  const [slugEdited, setSlugEdited] = useState(Boolean(failed?.values.slug));
  return (
    <main className="centered">
      <div className="card sign-in">
        <p className="brand brand-large">Workspace Studio</p>
        <h1>New workspace</h1>
        {!hasWorkspace ? <p className="muted">Signed in as {username}. You are not in a workspace yet: create one, or ask an Owner to add you to theirs.</p> : null}
        <ActionAlert result={result} />
        <Form method="post" className="stack">
          <Field
            name="name"
            label="Name"
            required
            defaultValue={failed?.values.name}
            error={failed?.fieldErrors.name}
            onChange={(event) => {
              if (!slugEdited) setSlug(slugFromName(event.currentTarget.value));
            }}
          />
          <Field
            name="slug"
            label="Slug"
            value={slug}
            onChange={(event) => {
              setSlug(event.currentTarget.value);
              setSlugEdited(event.currentTarget.value !== '');
            }}
            error={failed?.fieldErrors.slug}
            hint="Made from the name; lowercase letters and digits separated by dashes, used in links."
          />
          <Field name="description" label="Description" defaultValue={failed?.values.description} error={failed?.fieldErrors.description} />
          <SubmitButton pendingLabel="Creating…">Create workspace</SubmitButton>
        </Form>
        <Form method="post" action="/sign-out" className="row">
          {hasWorkspace ? (
            <Link to="/" className="btn btn-ghost">
              Cancel
            </Link>
          ) : null}
          <button type="submit" className="btn btn-ghost">
            Sign out
          </button>
        </Form>
      </div>
    </main>
  );
}
