// What 403 / 404 / other failures look like, for every route's ErrorBoundary. A loader that hits
// an API refusal throws the F10 problem as a Response (Api.load), so its message shows here.
import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';

function problemMessage(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string' ? (data as { message: string }).message : undefined;
}

function retryAfterOf(data: unknown): number | null {
  const details = typeof data === 'object' && data !== null ? (data as { details?: { retryAfterSeconds?: unknown } }).details : undefined;
  return typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
}

/** Seconds the API said to wait (`details.retryAfterSeconds`), kept between 2 s and 30 s. */
function retryDelayOf(data: unknown): number {
  return Math.min(30, Math.max(2, retryAfterOf(data) ?? 5));
}

/**
 * A 503: something the page needs (the system database, a workspace database) is down for now.
 * Says so, counts down and reloads the page by itself; nothing the person typed is at stake, since
 * only loaders end up here.
 */
function UnavailablePage({ message, delaySeconds }: { message: string | undefined; delaySeconds: number }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [left, setLeft] = useState(delaySeconds);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (left <= 0) {
      window.location.reload();
      return;
    }
    const timer = setTimeout(() => setLeft(left - 1), 1_000);
    return () => clearTimeout(timer);
  }, [left]);
  return (
    <div className="error-page card">
      <p className="error-status">503</p>
      <h1 ref={heading} tabIndex={-1}>
        Temporarily unavailable, retrying
      </h1>
      <p>{message ?? 'A service this page needs is not answering right now.'}</p>
      <p role="status" aria-live="polite">
        {left > 0 ? `Trying again in ${left} s…` : 'Trying again…'}
      </p>
      <p>
        <button type="button" className="btn btn-secondary" onClick={() => window.location.reload()}>
          Try now
        </button>
      </p>
    </div>
  );
}

export function ErrorPage({ error, home = '/' }: { error: unknown; home?: string }) {
  if (isRouteErrorResponse(error) && error.status === 503) {
    return <UnavailablePage message={problemMessage(error.data)} delaySeconds={retryDelayOf(error.data)} />;
  }
  return <OtherErrorPage error={error} home={home} />;
}

function OtherErrorPage({ error, home }: { error: unknown; home: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  let title = 'Something went wrong';
  let message = 'The page could not be shown. Try again; if it keeps failing, an administrator can find the cause in the server log.';
  let status: number | undefined;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const fromApi = problemMessage(error.data);
    if (error.status === 403) {
      title = 'You do not have access to this';
      message = fromApi ?? 'Your role in this workspace does not allow this page. Ask a workspace Owner or Admin.';
    } else if (error.status === 429) {
      title = 'Too many requests';
      const wait = retryAfterOf(error.data);
      message = `${wait === null ? 'Please wait a moment' : `Try again in ${wait} s`}: this account made more requests in the last minute than the studio allows.`;
    } else if (error.status === 404) {
      title = 'Not found';
      message = fromApi ?? 'There is nothing here. It may have been deleted, or the link is wrong.';
    } else {
      message = fromApi ?? (typeof error.data === 'string' && error.data ? error.data : message);
    }
  }
  return (
    <div className="error-page card">
      {status ? <p className="error-status">{status}</p> : null}
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p>{message}</p>
      <p>
        <Link className="btn btn-secondary" to={home}>
          Go back home
        </Link>
      </p>
    </div>
  );
}

/** For pages inside the workspace shell: `export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';` */
export function PageErrorBoundary() {
  const error = useRouteError();
  return <ErrorPage error={error} />;
}
