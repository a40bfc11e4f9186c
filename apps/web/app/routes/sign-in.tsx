import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { ActionAlert, Field, SubmitButton } from '../components/form';
import { Alert } from '../components/ui';
import { apiFor, invalidReturnPath, isFirstStart, safeReturnPath } from '../lib/api.server';
import { failure, text, type ActionResult } from '../lib/forms';

export const meta: MetaFunction = () => [{ title: 'Sign in · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await apiFor(request, context);
  const url = new URL(request.url);
  if (api.user) return api.redirect(safeReturnPath(url.searchParams.get('redirectTo')));
  // "Sign in with Google" (or the configured provider) only when the server has OIDC settings.
  const oidc = await api.load((c) => c.auth.oidcConfig());
  return api.json({ oidc: oidc.enabled ? { label: oidc.label ?? 'Sign in with Google' } : null, firstStart: isFirstStart(context) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await apiFor(request, context);
  const form = await request.formData();
  const badReturn = invalidReturnPath(form);
  if (badReturn) return api.json<ActionResult>(failure(badReturn, form), { status: 400 });
  const redirectTo = safeReturnPath(form.get('redirectTo'));
  if (form.get('intent') === 'oidc') {
    // The provider sends the browser back to /auth/oidc/callback; the state cookie set here binds it to this browser.
    const started = await api.attempt((c) => c.auth.oidcStart({ returnTo: redirectTo }));
    if (!started.ok) return api.json<ActionResult>(failure(started.problem, form, { intent: 'oidc' }), { status: started.status });
    return api.redirect(started.value.authorizationUrl);
  }
  const result = await api.attempt((c) => c.auth.signIn({ username: text(form, 'username') ?? '', password: String(form.get('password') ?? '') }));
  if (!result.ok) return api.json<ActionResult>(failure(result.problem, form), { status: result.status });
  return api.redirect(redirectTo);
}

export default function SignIn() {
  const { oidc, firstStart } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const values = result && !result.ok ? result.values : {};
  const errors = result && !result.ok ? result.fieldErrors : {};
  const redirectTo = params.get('redirectTo') ?? '/';
  const passwordSet = params.get('passwordSet') === '1';
  return (
    <main className="centered">
      <div className="card sign-in">
        <p className="brand brand-large">Workspace Studio</p>
        <h1>Sign in</h1>
        {passwordSet && !result ? <Alert tone="success" title="Your password is set. Sign in with it." /> : null}
        <ActionAlert result={result} />
        <Form method="post" className="stack">
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <Field name="username" label="Username" autoComplete="username" required defaultValue={values.username ?? params.get('username') ?? undefined} error={errors.username} autoFocus={!passwordSet} />
          <Field name="password" label="Password" type="password" autoComplete="current-password" required error={errors.password} autoFocus={passwordSet} />
          <SubmitButton intent="password" pendingLabel="Signing in…">
            Sign in
          </SubmitButton>
        </Form>
        {oidc ? (
          <Form method="post" className="stack">
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <div className="divider">
              <span>or</span>
            </div>
            <SubmitButton intent="oidc" variant="secondary" pendingLabel="Redirecting…">
              {oidc.label}
            </SubmitButton>
          </Form>
        ) : null}
        {firstStart ? (
          <p className="muted small">
            First start? The generated passwords of <code>admin</code> and <code>user</code> were printed on the console and are kept in{' '}
            <code>initial-credentials.txt</code> in the server&apos;s data folder (<code>DATA_DIR</code>, <code>.data/</code> by default).
          </p>
        ) : null}
      </div>
    </main>
  );
}
