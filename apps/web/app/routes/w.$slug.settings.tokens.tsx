// API tokens for the public API and services: create (the token is shown once), list, revoke.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import { ActionAlert, ConfirmedSubmitButton, Field, SelectField, SubmitButton } from '../components/form';
import { useDenial } from '../components/permission';
import { Badge, Card, DataTable, EmptyState, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { failure, text, type ActionResult } from '../lib/forms';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction = () => [{ title: 'API tokens · Workspace Studio' }];

const ROLES = ['Viewer', 'Member', 'Admin', 'Owner'] as const;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const tokens = await api.load((c) => c.tokens.list({ workspaceSlug: params.slug ?? '', limit: 200 }));
  return api.json({ tokens: tokens.items });
}

type TokenActionResult = ActionResult<{ token?: string; name?: string }>;

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const workspaceSlug = params.slug ?? '';
  if (intent === 'revoke') {
    const result = await api.attempt((c) => c.tokens.revoke({ workspaceSlug, tokenId: text(form, 'tokenId') ?? '' }));
    if (!result.ok) return api.json<TokenActionResult>(failure(result.problem, form, { intent }), { status: result.status });
    return api.json<TokenActionResult>({ ok: true, intent, message: `Revoked “${result.value.name}”` });
  }
  const expires = text(form, 'expiresAt');
  const result = await api.attempt((c) =>
    c.tokens.create({
      workspaceSlug,
      name: text(form, 'name') ?? '',
      role: (text(form, 'role') ?? 'Member') as (typeof ROLES)[number],
      // A date input: the token stops working at the end of that (UTC) day.
      expiresAt: expires ? new Date(`${expires}T23:59:59.999Z`) : null,
    }),
  );
  if (!result.ok) return api.json<TokenActionResult>(failure(result.problem, form, { intent }), { status: result.status });
  return api.json<TokenActionResult>({ ok: true, intent, message: `Created “${result.value.name}”`, value: { token: result.value.token, name: result.value.name } });
}

function NewToken({ token }: { token: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => ref.current?.focus(), [token]);
  return (
    <div ref={ref} tabIndex={-1} className="alert alert-success" role="status" data-testid="new-token">
      <p className="alert-title">Copy this token now. It is shown only once.</p>
      <div className="token-once alert-body">
        <code aria-label="New API token">{token}</code>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          onClick={() => {
            void navigator.clipboard?.writeText(token).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="muted small">Send it as <code>Authorization: Bearer …</code>. Only a hash is stored.</p>
    </div>
  );
}

export default function Tokens() {
  const { tokens } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { workspace } = useWorkspace();
  const createDenial = useDenial(workspace.can['token.create']);
  const revokeDenial = useDenial(workspace.can['token.revoke']);
  const created = result?.ok && result.value?.token ? result.value.token : null;
  const failed = result && !result.ok && result.intent !== 'revoke' ? result : undefined;
  return (
    <>
      <PageHeader title="API tokens" description="Tokens let services and scripts call the API as this workspace, with the role you choose." />
      {created ? <NewToken token={created} /> : <ActionAlert result={result} />}
      <Card title="Create a token">
        <Form method="post" className="form-grid" aria-label="Create an API token" key={created ?? 'form'}>
          <Field name="name" label="Name" required defaultValue={failed?.values.name} error={failed?.fieldErrors.name} placeholder="e.g. nightly-report" />
          <SelectField
            name="role"
            label="Role"
            defaultValue={failed?.values.role ?? 'Member'}
            error={failed?.fieldErrors.role}
            hint={ROLES.map((role) => workspace.canGiveRole.token[role].reason).find((reason) => reason !== null) ?? undefined}
          >
            {ROLES.map((role) => (
              <option key={role} value={role} disabled={!workspace.canGiveRole.token[role].allowed}>
                {role}
              </option>
            ))}
          </SelectField>
          <Field name="expiresAt" label="Expires (optional)" type="date" defaultValue={failed?.values.expiresAt} error={failed?.fieldErrors.expiresAt} />
          <div className="form-actions" style={{ alignSelf: 'end' }}>
            <SubmitButton intent="create" pendingLabel="Creating…" disabled={createDenial.denied} aria-describedby={createDenial.control['aria-describedby']}>
              Create token
            </SubmitButton>
            {createDenial.reason}
          </div>
        </Form>
      </Card>
      <Card title="Tokens">
        {tokens.length === 0 ? (
          <EmptyState title="No tokens yet" />
        ) : (
          <DataTable columns={['Name', 'Role', 'Created', 'Last used', 'Expires', '']}>
            {tokens.map((t) => (
              <tr key={t.id} data-token={t.name}>
                <td data-label="Name">
                  {t.name}
                  <p className="muted small">
                    <code>{t.prefix}…</code>
                  </p>
                </td>
                <td data-label="Role">{t.role}</td>
                <td data-label="Created" className="small">
                  {formatDateTime(t.createdAt)}
                </td>
                <td data-label="Last used" className="small">
                  {formatDateTime(t.lastUsedAt)}
                </td>
                <td data-label="Expires" className="small">
                  {t.expiresAt ? formatDateTime(t.expiresAt) : 'never'}
                </td>
                <td data-label="">
                  {t.revokedAt ? (
                    <Badge tone="neutral">Revoked</Badge>
                  ) : (
                    <Form method="post">
                      <input type="hidden" name="tokenId" value={t.id} />
                      <ConfirmedSubmitButton
                        intent="revoke"
                        disabled={revokeDenial.denied}
                        aria-describedby={revokeDenial.control['aria-describedby']}
                        aria-label={`Revoke ${t.name}`}
                        title={`Revoke “${t.name}”?`}
                        confirmLabel="Revoke token"
                        description={
                          <p>
                            Services and scripts using <code>{t.prefix}…</code> stop working at once{t.role === 'Owner' ? ', and they lose Owner access to this whole workspace' : ''}. A revoked token
                            cannot be restored; you would create a new one and update every place that uses it.
                          </p>
                        }
                      >
                        Revoke
                      </ConfirmedSubmitButton>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        {revokeDenial.reason}
      </Card>
    </>
  );
}
