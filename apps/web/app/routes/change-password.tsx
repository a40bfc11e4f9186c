// The forced first change: someone signed in with a generated or Admin-typed password chooses their
// own before anything else opens. Also reachable any time; the Account page has the same form.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { ActionAlert, Field, SubmitButton } from '../components/form';
import { NewPasswordFields } from '../components/password-fields';
import { confirmationMismatch } from '../lib/account.server';
import { requireUser, invalidReturnPath, safeReturnPath } from '../lib/api.server';
import { failure, type ActionResult } from '../lib/forms';

export const meta: MetaFunction = () => [{ title: 'Choose a new password · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  return api.json({ username: api.user.username, required: api.user.mustChangePassword === true });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const badReturn = invalidReturnPath(form);
  if (badReturn) return api.json<ActionResult>(failure(badReturn, form), { status: 400 });
  const mismatch = confirmationMismatch(form);
  if (mismatch) return api.json<ActionResult>(mismatch, { status: 400 });
  const result = await api.attempt((c) =>
    c.account.changePassword({ currentPassword: String(form.get('currentPassword') ?? ''), newPassword: String(form.get('newPassword') ?? '') }),
  );
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form), { status: result.status });
  return api.redirect(safeReturnPath(form.get('redirectTo')));
}

export default function ChangePassword() {
  const { username, required } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <main className="centered">
      <div className="card sign-in">
        <p className="brand brand-large">Workspace Studio</p>
        <h1>Choose a new password</h1>
        <p className="muted">
          {required ? (
            <>
              <strong>{username}</strong>, you signed in with a password someone else knows (generated or set by an administrator). Choose your own to continue.
            </>
          ) : (
            <>Change the password of {username}. Your other sessions will be signed out.</>
          )}
        </p>
        <ActionAlert result={result} />
        <Form method="post" className="stack">
          <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? '/'} />
          <Field name="currentPassword" label="Current password" type="password" autoComplete="current-password" required error={errors.currentPassword} autoFocus />
          <NewPasswordFields errors={errors} />
          <SubmitButton pendingLabel="Saving…">Save and continue</SubmitButton>
        </Form>
        <Form method="post" action="/sign-out">
          <button type="submit" className="btn btn-ghost">
            Sign out
          </button>
        </Form>
      </div>
    </main>
  );
}
