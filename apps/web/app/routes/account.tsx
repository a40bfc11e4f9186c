// My account: display name, password (current one required; my other sessions end), and my
// sessions (device, address, when) with "sign out" for one or all others.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { ActionAlert, Field, SubmitButton } from '../components/form';
import { NewPasswordFields } from '../components/password-fields';
import { Badge, Card, DataTable, formatDateTime, PageHeader } from '../components/ui';
import { PlainShell } from '../components/user-menu';
import { confirmationMismatch, signedInUser } from '../lib/account.server';
import { requireUser } from '../lib/api.server';
import { failure, text, unknownIntent, type ActionResult } from '../lib/forms';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Account · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const [user, sessions] = await Promise.all([signedInUser(api), api.load((c) => c.account.sessions())]);
  return api.json({ user, sessions: sessions.items });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  if (intent === 'profile') {
    const result = await api.attempt((c) => c.account.update({ displayName: text(form, 'displayName') ?? null }));
    if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<ActionResult>({ ok: true, intent, message: 'Display name saved' });
  }
  if (intent === 'password') {
    const mismatch = confirmationMismatch(form, intent);
    if (mismatch) return api.json<ActionResult>(mismatch, { status: 400 });
    const result = await api.attempt((c) =>
      c.account.changePassword({ currentPassword: String(form.get('currentPassword') ?? ''), newPassword: String(form.get('newPassword') ?? '') }),
    );
    if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    const ended = result.value.endedSessions;
    return api.json<ActionResult>({ ok: true, intent, message: `Password changed${ended > 0 ? `; ${ended} other session${ended === 1 ? '' : 's'} signed out` : ''}` });
  }
  if (intent === 'revokeSession') {
    const result = await api.attempt((c) => c.account.revokeSession({ sessionId: text(form, 'sessionId') ?? '' }));
    if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<ActionResult>({ ok: true, intent, message: 'Session signed out' });
  }
  if (intent === 'revokeOthers') {
    const result = await api.attempt((c) => c.auth.revokeOtherSessions());
    if (!result.ok) return api.json<ActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<ActionResult>({ ok: true, intent, message: `Signed out ${result.value.revoked} other session${result.value.revoked === 1 ? '' : 's'}` });
  }
  return api.json<ActionResult>(unknownIntent(intent), { status: 400 });
}

const SIGN_IN_LABELS: Record<string, string> = { password: 'Password', oidc: 'Single sign-on', both: 'Password or single sign-on', none: 'Not set up' };

export default function Account() {
  const { user, sessions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failed = result && !result.ok ? result : undefined;
  const errorsFor = (intent: string) => (failed?.intent === intent ? failed.fieldErrors : {});
  const others = sessions.filter((s) => !s.current).length;
  return (
    <PlainShell user={user}>
      <PageHeader
        title="Account"
        description={
          <>
            Signed in as <strong>{user.username}</strong> · system role {user.systemRole}
            {user.email ? <> · {user.email}</> : null}
          </>
        }
      />
      <ActionAlert result={result} />
      <Card title="Profile">
        <Form method="post" className="form-grid" aria-label="Profile">
          <Field name="displayName" label="Display name" defaultValue={user.displayName ?? ''} maxLength={128} error={errorsFor('profile').displayName} hint="Shown in the top bar and to your workspaces' members." />
          <div className="form-actions" style={{ alignSelf: 'end' }}>
            <SubmitButton intent="profile" variant="secondary" pendingLabel="Saving…">
              Save name
            </SubmitButton>
          </div>
        </Form>
      </Card>
      <Card title="Password">
        <p className="muted small">
          How you sign in: <strong>{SIGN_IN_LABELS[user.signIn] ?? user.signIn}</strong>.{' '}
          {user.hasPassword ? 'Changing the password signs out your other sessions.' : 'No password is set: you sign in with single sign-on. An administrator can send you a link to set one.'}
        </p>
        {user.hasPassword ? (
          <Form method="post" className="stack" aria-label="Change password" key={result?.ok && result.intent === 'password' ? 'changed' : 'form'}>
            <Field name="currentPassword" label="Current password" type="password" autoComplete="current-password" required error={errorsFor('password').currentPassword} />
            <NewPasswordFields errors={errorsFor('password')} />
            <div className="form-actions">
              <SubmitButton intent="password" pendingLabel="Changing…">
                Change password
              </SubmitButton>
            </div>
          </Form>
        ) : null}
      </Card>
      <Card
        title="Sessions"
        actions={
          others > 0 ? (
            <Form method="post">
              <SubmitButton intent="revokeOthers" variant="secondary" pendingLabel="Signing out…">
                Sign out all other sessions
              </SubmitButton>
            </Form>
          ) : null
        }
      >
        <DataTable columns={['Device', 'Address', 'Signed in', 'Last used', '']} label="Your sessions">
          {sessions.map((s) => (
            <tr key={s.id} data-session={s.current ? 'current' : 'other'}>
              <td data-label="Device" title={s.userAgent ?? undefined}>
                {s.device ?? 'Unknown device'} {s.current ? <Badge tone="success">This session</Badge> : null}
              </td>
              <td data-label="Address">{s.ip ?? '—'}</td>
              <td data-label="Signed in">{formatDateTime(s.createdAt)}</td>
              <td data-label="Last used">{formatDateTime(s.lastUsedAt)}</td>
              <td data-label="">
                {s.current ? null : (
                  <Form method="post">
                    <input type="hidden" name="sessionId" value={s.id} />
                    <SubmitButton intent="revokeSession" variant="danger" aria-label={`Sign out ${s.device ?? 'this session'} (${s.ip ?? 'unknown address'})`}>
                      Sign out
                    </SubmitButton>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </Card>
    </PlainShell>
  );
}
