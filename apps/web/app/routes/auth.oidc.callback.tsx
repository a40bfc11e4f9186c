// Where the OpenID Connect provider sends the browser back: auth.oidcCallback checks state, nonce
// and PKCE against the state cookie, signs the user in, and we continue where they started.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { Alert } from '../components/ui';
import { apiFor, safeReturnPath } from '../lib/api.server';

export const meta: MetaFunction = () => [{ title: 'Single sign-on · Workspace Studio' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await apiFor(request, context);
  const url = new URL(request.url);
  const result = await api.attempt((c) => c.auth.oidcCallback({ callbackUrl: `${url.pathname}${url.search}` }));
  if (result.ok) return api.redirect(safeReturnPath(result.value.returnTo));
  // Rendered here rather than redirected with the text in the URL: only the server says what failed.
  return api.json({ message: result.problem.message, error: result.problem.error }, { status: result.status });
}

export default function OidcCallbackFailed() {
  const { message, error } = useLoaderData<typeof loader>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <main className="centered">
      <div className="card sign-in">
        <h1 ref={heading} tabIndex={-1}>
          Single sign-on did not complete
        </h1>
        <Alert tone="danger" title={message}>
          <p className="muted small">Error code: {error}</p>
        </Alert>
        <Link className="btn btn-primary" to="/sign-in">
          Back to sign in
        </Link>
      </div>
    </main>
  );
}
