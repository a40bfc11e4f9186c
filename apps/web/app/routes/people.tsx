// People (system Admins): add a person with an invite link or a typed password, find people, change
// their system role, send a reset link, deactivate or reactivate. Outside any workspace.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { ActionAlert, Field, SelectField, SubmitButton } from '../components/form';
import { NewLink, type NewLinkValue } from '../components/new-link';
import { PASSWORD_RULES } from '../components/password-fields';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { PlainShell } from '../components/user-menu';
import { signedInUser } from '../lib/account.server';
import { requireUser } from '../lib/api.server';
import { failure, text, unknownIntent, type ActionResult } from '../lib/forms';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'People · Workspace Studio' }];

const SYSTEM_ROLES = ['User', 'Admin'] as const;
type SystemRole = (typeof SYSTEM_ROLES)[number];
const STATUSES = ['active', 'invited', 'deactivated'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const url = new URL(request.url);
  const query = url.searchParams.get('q')?.trim() || undefined;
  const statusParam = url.searchParams.get('status');
  const status = STATUSES.find((s) => s === statusParam);
  const [user, people, events] = await Promise.all([
    signedInUser(api),
    api.load((c) => c.users.list({ query, status, limit: 200 })),
    api.load((c) => c.audit.listSystem({ limit: 20 })),
  ]);
  return api.json({ user, people: people.items, events: events.items, query: query ?? '', status: status ?? '', origin: url.origin });
}

type PeopleActionResult = ActionResult<{ link?: NewLinkValue }>;

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const origin = new URL(request.url).origin;
  const userId = text(form, 'userId') ?? '';
  const who = text(form, 'username') ?? 'the person';
  const answer = (result: PeopleActionResult, status = 200) => api.json<PeopleActionResult>(result, { status });

  if (intent === 'create') {
    const password = String(form.get('password') ?? '');
    const result = await api.attempt((c) =>
      c.users.create({
        username: text(form, 'newUsername') ?? '',
        displayName: text(form, 'displayName') ?? null,
        email: text(form, 'email') ?? null,
        systemRole: (text(form, 'systemRole') ?? 'User') as SystemRole,
        password: password === '' ? undefined : password,
      }),
    );
    if (!result.ok) return answer(failure(result.problem, form, { intent, alias: { username: 'newUsername' } }), result.status);
    const { user, link } = result.value;
    if (!link) return answer({ ok: true, intent, message: `Added ${user.username}. They must change the password you typed when they first sign in.` });
    return answer({ ok: true, intent, message: `Added ${user.username}`, value: { link: { url: `${origin}${link.path}`, kind: link.kind, username: user.username, expiresAt: link.expiresAt.toISOString() } } });
  }
  if (intent === 'link') {
    const result = await api.attempt((c) => c.users.passwordReset({ userId }));
    if (!result.ok) return answer(failure(result.problem, form, { intent }), result.status);
    const link = result.value;
    return answer({
      ok: true,
      intent,
      message: link.kind === 'reset' ? `Reset the password of ${who}; their sessions ended` : `New invite link for ${who}`,
      value: { link: { url: `${origin}${link.path}`, kind: link.kind, username: who, expiresAt: link.expiresAt.toISOString() } },
    });
  }
  if (intent === 'revokeLink') {
    const result = await api.attempt((c) => c.users.revokeLink({ userId }));
    if (!result.ok) return answer(failure(result.problem, form, { intent }), result.status);
    return answer({ ok: true, intent, message: `Revoked the pending link of ${who}` });
  }
  if (intent === 'setRole') {
    const systemRole = (text(form, 'systemRole') ?? '') as SystemRole;
    const result = await api.attempt((c) => c.users.update({ userId, systemRole }));
    if (!result.ok) return answer(failure(result.problem, form, { intent }), result.status);
    return answer({ ok: true, intent, message: `${who} is now ${systemRole}` });
  }
  if (intent === 'deactivate') {
    const result = await api.attempt((c) => c.users.deactivate({ userId }));
    if (!result.ok) return answer(failure(result.problem, form, { intent }), result.status);
    return answer({ ok: true, intent, message: `Deactivated ${who}; their sessions ended` });
  }
  if (intent === 'reactivate') {
    const result = await api.attempt((c) => c.users.reactivate({ userId }));
    if (!result.ok) return answer(failure(result.problem, form, { intent }), result.status);
    return answer({ ok: true, intent, message: `Reactivated ${who}` });
  }
  return answer(unknownIntent(intent), 400);
}

const STATUS_TONES = { active: 'success', invited: 'info', deactivated: 'neutral' } as const;
const SIGN_IN = { password: 'Password', oidc: 'Single sign-on', both: 'Password + SSO', none: '—' } as const;

export default function People() {
  const { user, people, events, query, status } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const link = result?.ok ? result.value?.link : undefined;
  const createFailed = result && !result.ok && result.intent === 'create' ? result : undefined;
  const created = result?.ok && result.intent === 'create';
  return (
    <PlainShell user={user}>
      <PageHeader title="People" description="Everyone who can sign in: add people, send invite or reset links, change system roles, deactivate." />
      {link ? <NewLink link={link} /> : <ActionAlert result={result} />}
      <Card title="Add a person">
        <Form method="post" className="form-grid" aria-label="Add a person" key={created ? `created-${result.message}` : 'form'}>
          <Field name="newUsername" label="Username" required autoComplete="off" defaultValue={createFailed?.values.newUsername} error={createFailed?.fieldErrors.newUsername} />
          <Field name="displayName" label="Display name" defaultValue={createFailed?.values.displayName} error={createFailed?.fieldErrors.displayName} />
          <Field name="email" label="Email (optional)" type="email" defaultValue={createFailed?.values.email} error={createFailed?.fieldErrors.email} />
          <SelectField name="systemRole" label="System role" defaultValue={createFailed?.values.systemRole ?? 'User'} error={createFailed?.fieldErrors.systemRole} hint="Admins manage people; workspace roles are set per workspace.">
            {SYSTEM_ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </SelectField>
          <Field
            name="password"
            label="Initial password (optional)"
            type="password"
            autoComplete="new-password"
            error={createFailed?.fieldErrors.password}
            hint={`Leave empty to get a one-time invite link (valid 72 h) so they choose their own. A typed password must be changed at first sign-in. ${PASSWORD_RULES}`}
          />
          <div className="form-actions" style={{ alignSelf: 'end' }}>
            <SubmitButton intent="create" pendingLabel="Adding…">
              Add person
            </SubmitButton>
          </div>
        </Form>
      </Card>
      <Card title="Everyone">
        <Form method="get" className="row" role="search" aria-label="Find people">
          <Field name="q" label="Search" type="search" defaultValue={query} placeholder="username, name or email" />
          <SelectField name="status" label="Status" defaultValue={status}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </SelectField>
          <div className="form-actions" style={{ alignSelf: 'end' }}>
            <button type="submit" className="btn btn-secondary">
              Search
            </button>
          </div>
        </Form>
        {people.length === 0 ? (
          <EmptyState title={params.get('q') ? 'Nobody matches' : 'Nobody yet'} />
        ) : (
          <DataTable columns={['Person', 'System role', 'Signs in with', 'Status', 'Last sign-in', '']} label="People">
            {people.map((p) => (
              <tr key={p.id} data-person={p.username}>
                <td data-label="Person">
                  <span className="strong">{p.displayName ?? p.username}</span>
                  <br />
                  <span className="muted small">
                    {p.username}
                    {p.email ? ` · ${p.email}` : ''}
                    {p.username === user.username ? ' (you)' : ''}
                  </span>
                </td>
                <td data-label="System role">
                  <Form method="post" className="row">
                    <input type="hidden" name="userId" value={p.id} />
                    <input type="hidden" name="username" value={p.username} />
                    <label className="visually-hidden" htmlFor={`role-${p.id}`}>
                      System role of {p.username}
                    </label>
                    <select id={`role-${p.id}`} name="systemRole" defaultValue={p.systemRole} className="btn btn-secondary btn-small">
                      {SYSTEM_ROLES.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                    <SubmitButton intent="setRole" variant="secondary" aria-label={`Change the system role of ${p.username}`}>
                      Change
                    </SubmitButton>
                  </Form>
                </td>
                <td data-label="Signs in with">{SIGN_IN[p.signIn]}</td>
                <td data-label="Status">
                  <Badge tone={STATUS_TONES[p.status]}>{p.status}</Badge>
                  {p.mustChangePassword && p.status === 'active' ? <span className="muted small"> must change password</span> : null}
                  {p.pendingLink ? <span className="muted small"> {p.pendingLink} link pending</span> : null}
                </td>
                <td data-label="Last sign-in">{formatDateTime(p.lastSignInAt)}</td>
                <td data-label="">
                  <div className="row">
                    {p.status !== 'deactivated' && p.username !== user.username ? (
                      <Form method="post">
                        <input type="hidden" name="userId" value={p.id} />
                        <input type="hidden" name="username" value={p.username} />
                        <SubmitButton intent="link" variant="secondary" aria-label={`${p.status === 'invited' ? 'New invite link for' : 'Reset password of'} ${p.username}`}>
                          {p.status === 'invited' ? 'New invite link' : 'Reset password'}
                        </SubmitButton>
                      </Form>
                    ) : null}
                    {p.pendingLink ? (
                      <Form method="post">
                        <input type="hidden" name="userId" value={p.id} />
                        <input type="hidden" name="username" value={p.username} />
                        <SubmitButton intent="revokeLink" variant="ghost" aria-label={`Revoke the pending link of ${p.username}`}>
                          Revoke link
                        </SubmitButton>
                      </Form>
                    ) : null}
                    {p.status === 'deactivated' ? (
                      <Form method="post">
                        <input type="hidden" name="userId" value={p.id} />
                        <input type="hidden" name="username" value={p.username} />
                        <SubmitButton intent="reactivate" variant="secondary" aria-label={`Reactivate ${p.username}`}>
                          Reactivate
                        </SubmitButton>
                      </Form>
                    ) : p.username !== user.username ? (
                      <details className="confirm">
                        <summary className="btn btn-danger" aria-label={`Deactivate ${p.username}…`}>
                          Deactivate…
                        </summary>
                        <Form method="post">
                          <input type="hidden" name="userId" value={p.id} />
                          <input type="hidden" name="username" value={p.username} />
                          <p className="small">Sign-in refused, sessions end now, their API tokens stop.</p>
                          <SubmitButton intent="deactivate" variant="danger" aria-label={`Confirm: deactivate ${p.username}`}>
                            Deactivate {p.username}
                          </SubmitButton>
                        </Form>
                      </details>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
      <Card title="Recent sign-ins and account changes">
        {events.length === 0 ? (
          <EmptyState title="Nothing yet" />
        ) : (
          <DataTable columns={['When', 'Who', 'What', 'Outcome', 'Address']} label="Recent sign-ins and account changes">
            {events.map((e) => (
              <tr key={e.id}>
                <td data-label="When">{formatDateTime(e.at)}</td>
                <td data-label="Who">{e.actorUsername ?? '—'}</td>
                <td data-label="What">
                  {e.action}
                  {typeof e.details.reason === 'string' ? <span className="muted small"> ({e.details.reason})</span> : null}
                </td>
                <td data-label="Outcome">
                  <Badge tone={e.outcome === 'success' ? 'success' : e.outcome === 'denied' ? 'warning' : 'danger'}>{e.outcome}</Badge>
                </td>
                <td data-label="Address">{e.ip ?? '—'}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </PlainShell>
  );
}
