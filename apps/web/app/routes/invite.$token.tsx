// Where an invite or reset link lands: the person chooses their own password, then signs in. A
// spent, revoked or expired link says so and nothing else.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, SubmitButton } from '../components/form';
import { NewPasswordFields } from '../components/password-fields';
import { Alert } from '../components/ui';
import { confirmationMismatch } from '../lib/account.server';
import { apiFor } from '../lib/api.server';
import { failure, type ActionResult } from '../lib/forms';

export const meta: MetaFunction = () => [{ title: 'Set your password · Workspace Studio' }, { name: 'referrer', content: 'no-referrer' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await apiFor(request, context);
  const link = await api.attempt((c) => c.account.describeLink({ token: params.token ?? '' }));
  if (!link.ok) return api.json({ link: null, problem: link.problem }, { status: link.status });
  return api.json({ link: { kind: link.value.kind, username: link.value.username, displayName: link.value.displayName, expiresAt: link.value.expiresAt }, problem: null });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await apiFor(request, context);
  const form = await request.formData();
  const mismatch = confirmationMismatch(form);
  if (mismatch) return api.json<ActionResult>(mismatch, { status: 400 });
  const result = await api.attempt((c) => c.account.acceptLink({ token: params.token ?? '', password: String(form.get('newPassword') ?? '') }));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { alias: { password: 'newPassword' } }), { status: result.status });
  // Whoever was signed in in this browser is not the person who just set a password.
  if (api.user) await api.attempt((c) => c.auth.signOut());
  return api.redirect(`/sign-in?passwordSet=1&username=${encodeURIComponent(result.value.username)}`);
}

export default function Invite() {
  const { link, problem } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <main className="centered">
      <div className="card sign-in">
        <p className="brand brand-large">Workspace Studio</p>
        {link ? (
          <>
            <h1>{link.kind === 'invite' ? `Welcome, ${link.displayName ?? link.username}` : 'Reset your password'}</h1>
            <p className="muted">
              Choose the password for <strong>{link.username}</strong>. This link works once, until {new Date(link.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC.
            </p>
            <ActionAlert result={result} />
            <Form method="post" className="stack">
              <input type="text" name="username" autoComplete="username" value={link.username} readOnly hidden />
              <NewPasswordFields errors={errors} label="Password" />
              <SubmitButton pendingLabel="Saving…">Set password</SubmitButton>
            </Form>
          </>
        ) : (
          <>
            <h1>This link cannot be used</h1>
            <Alert tone="warning" title={problem?.message ?? 'This link is invalid, expired or already used.'} />
            <p>
              <Link to="/sign-in">Go to sign-in</Link>
            </p>
          </>
        )}
      </div>
    </main>
  );
}
