// Access: per-connection grants (use / manage) and the members' workspace roles. Owners/Admins only.
// A system Admin may also invite someone new here: one action creates the person with a one-time
// invite link and adds them to the workspace.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useFetcher, useLoaderData, useSubmit } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { ActionAlert, Field, SelectField, SubmitButton } from '../components/form';
import { NewLink, type NewLinkValue } from '../components/new-link';
import { GuardedLink, useDenial, type Verdict } from '../components/permission';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { failure, text, unknownIntent, type ActionResult } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'Access · Workspace Studio' }];

const ROLES = ['Owner', 'Admin', 'Member', 'Viewer'] as const;
type AccessLevel = 'use' | 'manage';
type AccessActionResult = ActionResult<{ link?: NewLinkValue }>;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const [connections, members] = await Promise.all([
    api.load((c) => c.connections.list({ workspaceSlug, limit: 200 })),
    api.load((c) => c.workspaces.members({ workspaceSlug, limit: 200 })),
  ]);
  const requested = new URL(request.url).searchParams.get('connection');
  const selected = connections.items.find((c) => c.id === requested) ?? connections.items[0] ?? null;
  const grants = selected ? await api.load((c) => c.access.list({ workspaceSlug, connectionId: selected.id, limit: 200 })) : null;
  return api.json({
    connections: connections.items.map((c) => ({ id: c.id, name: c.name })),
    selected: selected && { id: selected.id, name: selected.name },
    grants: grants?.items ?? [],
    members: members.items,
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const workspaceSlug = params.slug ?? '';
  const connectionId = text(form, 'connectionId') ?? '';
  const userId = text(form, 'userId') ?? '';
  const username = text(form, 'username') ?? 'the member';
  if (intent === 'grant') {
    const level = (text(form, 'level') ?? '') as AccessLevel;
    const result = await api.attempt((c) => c.access.grant({ workspaceSlug, connectionId, userId, level }));
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<AccessActionResult>({ ok: true, intent, message: `Granted ${level} access` });
  }
  if (intent === 'revoke') {
    const result = await api.attempt((c) => c.access.revoke({ workspaceSlug, connectionId, userId }));
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<AccessActionResult>({ ok: true, intent, message: `Revoked the access of ${username}` });
  }
  if (intent === 'addMember') {
    const role = (text(form, 'role') ?? 'Member') as (typeof ROLES)[number];
    const newMember = text(form, 'newMember') ?? '';
    const result = await api.attempt((c) => c.workspaces.addMember({ workspaceSlug, username: newMember, role }));
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent, alias: { username: 'newMember', userId: 'newMember' } }), { status: result.status });
    return api.json<AccessActionResult>({ ok: true, intent, message: `Added ${result.value.username} as ${result.value.role}` });
  }
  if (intent === 'inviteMember') {
    const role = (text(form, 'inviteRole') ?? 'Member') as (typeof ROLES)[number];
    const result = await api.attempt((c) =>
      c.workspaces.inviteMember({
        workspaceSlug,
        username: text(form, 'inviteUsername') ?? '',
        displayName: text(form, 'inviteDisplayName') ?? null,
        email: text(form, 'inviteEmail') ?? null,
        role,
      }),
    );
    const alias = { username: 'inviteUsername', displayName: 'inviteDisplayName', email: 'inviteEmail', role: 'inviteRole' };
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent, alias }), { status: result.status });
    const { user, link } = result.value;
    const origin = new URL(request.url).origin;
    return api.json<AccessActionResult>({
      ok: true,
      intent,
      message: `Added ${user.username} to this workspace as ${result.value.role}`,
      value: { link: { url: `${origin}${link.path}`, kind: link.kind, username: user.username, expiresAt: link.expiresAt.toISOString() } },
    });
  }
  if (intent === 'removeMember') {
    const result = await api.attempt((c) => c.workspaces.removeMember({ workspaceSlug, userId }));
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<AccessActionResult>({ ok: true, intent, message: `Removed ${username} from the workspace` });
  }
  if (intent === 'setRole') {
    const role = (text(form, 'role') ?? '') as (typeof ROLES)[number];
    const result = await api.attempt((c) => c.workspaces.setMemberRole({ workspaceSlug, userId, role }));
    if (!result.ok) return api.json<AccessActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<AccessActionResult>({ ok: true, intent, message: `${username} is now ${role}` });
  }
  return api.json<AccessActionResult>(unknownIntent(intent), { status: 400 });
}

/** Add an existing person by username, with suggestions as you type (plain typing works without script). */
function AddMember({ error, added }: { error: string | undefined; added: string | undefined }) {
  const { workspace } = useWorkspace();
  const search = useFetcher<{ people: { id: string; username: string; displayName: string | null }[] }>();
  const [value, setValue] = useState('');
  const [open, setOpen] = useState(false);
  // Set once hydrated: keys typed before that reach a plain input and ask for no suggestions.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  useEffect(() => {
    if (added) setValue('');
  }, [added]);
  const suggestions = open && value.trim() !== '' ? (search.data?.people ?? []) : [];
  return (
    <Form method="post" className="form-grid" aria-label="Add a member" autoComplete="off" data-ready={hydrated ? 'true' : 'false'}>
      <div>
        <Field
          name="newMember"
          label="Add a person (username)"
          required
          value={value}
          error={error}
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls="member-suggestions"
          aria-autocomplete="list"
          onChange={(event) => {
            const next = event.currentTarget.value;
            setValue(next);
            setOpen(true);
            if (next.trim() !== '') search.load(`/w/${workspace.slug}/member-search?q=${encodeURIComponent(next.trim())}`);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setOpen(false);
          }}
        />
        {suggestions.length > 0 ? (
          <ul id="member-suggestions" className="suggestions" role="listbox" aria-label="Matching people">
            {suggestions.map((p) => (
              <li key={p.id} role="option" aria-selected={p.username === value}>
                <button
                  type="button"
                  onClick={() => {
                    setValue(p.username);
                    setOpen(false);
                  }}
                >
                  {p.username}
                  {p.displayName ? <span className="muted small"> · {p.displayName}</span> : null}
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <SelectField name="role" label="Role" defaultValue="Member">
        {ROLES.map((role) => (
          <option key={role} value={role} disabled={!workspace.canGiveRole.member[role].allowed}>
            {role}
          </option>
        ))}
      </SelectField>
      <div className="form-actions" style={{ alignSelf: 'end' }}>
        <SubmitButton intent="addMember" pendingLabel="Adding…">
          Add member
        </SubmitButton>
      </div>
    </Form>
  );
}

/** A system Admin invites someone new: the person, their invite link and the membership in one go. */
function InviteMember({ result }: { result: AccessActionResult | undefined }) {
  const { workspace } = useWorkspace();
  const failed = result && !result.ok && result.intent === 'inviteMember' ? result : undefined;
  const invited = result?.ok && result.intent === 'inviteMember' ? result.message : undefined;
  return (
    <section aria-labelledby="invite-heading" className="subsection">
      <h3 id="invite-heading">Invite a new person</h3>
      <p className="muted small">Creates their account with a one-time invite link (valid 72 h) and adds them here; they choose their own password.</p>
      <Form method="post" className="form-grid" aria-label="Invite a new person" autoComplete="off" key={invited ? `invited-${invited}` : 'invite'}>
        <Field name="inviteUsername" label="Username" required defaultValue={failed?.values.inviteUsername} error={failed?.fieldErrors.inviteUsername} />
        <Field name="inviteDisplayName" label="Display name" defaultValue={failed?.values.inviteDisplayName} error={failed?.fieldErrors.inviteDisplayName} />
        <Field name="inviteEmail" label="Email (optional)" type="email" defaultValue={failed?.values.inviteEmail} error={failed?.fieldErrors.inviteEmail} />
        <SelectField name="inviteRole" label="Workspace role" defaultValue={failed?.values.inviteRole ?? 'Member'} error={failed?.fieldErrors.inviteRole}>
          {ROLES.map((role) => (
            <option key={role} value={role} disabled={!workspace.canGiveRole.member[role].allowed}>
              {role}
            </option>
          ))}
        </SelectField>
        <div className="form-actions" style={{ alignSelf: 'end' }}>
          <SubmitButton intent="inviteMember" pendingLabel="Inviting…">
            Invite and add
          </SubmitButton>
        </div>
      </Form>
    </section>
  );
}

/** A member's role: options the caller may not give are disabled, and so is the row when its role is out of reach. */
function MemberRoleControls({ member, verdicts }: { member: { userId: string; username: string; role: (typeof ROLES)[number] }; verdicts: Record<(typeof ROLES)[number], Verdict> }) {
  const denial = useDenial(verdicts[member.role]);
  return (
    <>
      <select id={`role-${member.userId}`} name="role" defaultValue={member.role} className="btn btn-secondary btn-small" {...denial.control}>
        {ROLES.map((role) => (
          <option key={role} value={role} disabled={!verdicts[role].allowed}>
            {role}
          </option>
        ))}
      </select>
      <SubmitButton intent="setRole" variant="secondary" aria-label={`Change the role of ${member.username}`} disabled={denial.denied} aria-describedby={denial.control['aria-describedby']}>
        Change
      </SubmitButton>
      {denial.reason}
    </>
  );
}

export default function Access() {
  const { connections, selected, grants, members } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { user, workspace } = useWorkspace();
  const submit = useSubmit();
  const errors = result && !result.ok ? result.fieldErrors : {};
  const grantable = members.filter((m) => !grants.some((g) => g.userId === m.userId));
  const link = result?.ok ? result.value?.link : undefined;
  return (
    <>
      <PageHeader title="Access" description="Who may use or manage each connection, and each member's role in the workspace." />
      {link ? <NewLink link={link} note={result?.ok ? result.message : undefined} /> : <ActionAlert result={result} />}
      <Card title="Connection grants">
        {connections.length === 0 ? (
          <EmptyState title="No connections yet" />
        ) : (
          <>
            <Form method="get" className="row" onChange={(event) => submit(event.currentTarget)}>
              <SelectField name="connection" label="Connection" defaultValue={selected?.id}>
                {connections.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </SelectField>
              <noscript>
                <button type="submit" className="btn btn-secondary">
                  Show
                </button>
              </noscript>
            </Form>
            <p className="muted small">Owners and Admins may use and manage every connection; Members need a grant (or the default environment's connection); Viewers see metadata only.</p>
            {grants.length === 0 ? (
              <p className="muted">No grants on {selected?.name}.</p>
            ) : (
              <DataTable columns={['Member', 'Access', 'Granted', '']} label={`Grants on ${selected?.name ?? ''}`}>
                {grants.map((g) => (
                  <tr key={g.userId} data-grant={g.username}>
                    <td data-label="Member">{g.displayName ?? g.username}</td>
                    <td data-label="Access">
                      <Badge tone={g.level === 'manage' ? 'warning' : 'info'}>{g.level}</Badge>
                    </td>
                    <td data-label="Granted">{formatDateTime(g.assignedAt)}</td>
                    <td data-label="">
                      <Form method="post">
                        <input type="hidden" name="connectionId" value={selected?.id} />
                        <input type="hidden" name="userId" value={g.userId} />
                        <input type="hidden" name="username" value={g.username} />
                        <SubmitButton intent="revoke" variant="danger" aria-label={`Revoke ${g.username}`}>
                          Revoke
                        </SubmitButton>
                      </Form>
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
            {selected && grantable.length > 0 ? (
              <Form method="post" className="form-grid" aria-label="Grant access">
                <input type="hidden" name="connectionId" value={selected.id} />
                <SelectField name="userId" label="Member" error={errors.userId} required>
                  {grantable.map((m) => (
                    <option key={m.userId} value={m.userId}>
                      {m.username} ({m.role})
                    </option>
                  ))}
                </SelectField>
                <SelectField name="level" label="Access" error={errors.level} defaultValue="use">
                  <option value="use">use: run procedures through it</option>
                  <option value="manage">manage: also change it and reset its pool</option>
                </SelectField>
                <div className="form-actions" style={{ alignSelf: 'end' }}>
                  <SubmitButton intent="grant" pendingLabel="Granting…">
                    Grant access
                  </SubmitButton>
                </div>
              </Form>
            ) : null}
          </>
        )}
      </Card>
      <Card title="Members and roles">
        <AddMember error={result && !result.ok && result.intent === 'addMember' ? result.fieldErrors.newMember : undefined} added={result?.ok && result.intent === 'addMember' ? result.message : undefined} />
        {user.isSystemAdmin ? (
          <InviteMember result={result} />
        ) : (
          <p className="muted small subsection" data-testid="invite-needs-admin">
            Inviting someone new needs a system Admin; ask an Admin to invite them, then add them here.
          </p>
        )}
        <DataTable columns={['Member', 'Role', 'Joined', '']}>
          {members.map((m) => (
            <tr key={m.userId} data-member={m.username}>
              <td data-label="Member">
                {m.displayName ?? m.username}
                {m.userId === user.id ? <span className="muted small"> (you)</span> : null}
              </td>
              <td data-label="Role">
                <Form method="post" className="row">
                  <input type="hidden" name="userId" value={m.userId} />
                  <input type="hidden" name="username" value={m.username} />
                  <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                    Role of {m.username}
                  </label>
                  <MemberRoleControls member={m} verdicts={workspace.canGiveRole.member} />
                </Form>
              </td>
              <td data-label="Joined">{formatDateTime(m.joinedAt)}</td>
              <td data-label="">
                {m.userId === user.id ? null : !workspace.canGiveRole.member[m.role].allowed ? (
                  <GuardedLink to="#" className="btn btn-danger" verdict={workspace.canGiveRole.member[m.role]}>
                    Remove…
                  </GuardedLink>
                ) : (
                  <details className="confirm">
                    <summary className="btn btn-danger" aria-label={`Remove ${m.username}…`}>
                      Remove…
                    </summary>
                    <Form method="post">
                      <input type="hidden" name="userId" value={m.userId} />
                      <input type="hidden" name="username" value={m.username} />
                      <p className="small">{m.username} loses access to this workspace.</p>
                      <SubmitButton intent="removeMember" variant="danger" aria-label={`Confirm: remove ${m.username}`}>
                        Remove {m.username}
                      </SubmitButton>
                    </Form>
                  </details>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </Card>
    </>
  );
}
