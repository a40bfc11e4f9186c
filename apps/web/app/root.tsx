import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from '@remix-run/react';
import type { ReactNode } from 'react';
import { ErrorPage } from './components/error-page';
import { useTheme } from './components/theme-toggle';
import { errorPageHeaders } from './lib/error-headers';
import { useNonce } from './lib/nonce';
import { themeFromCookieHeader } from './lib/theme';
import stylesheet from './styles.css?url';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

/** The colour theme chosen (a cookie), so the server renders the page in it: no flash of the other. */
export function loader({ request }: LoaderFunctionArgs) {
  return { theme: themeFromCookieHeader(request.headers.get('cookie')) };
}

export const meta: MetaFunction = () => [{ title: 'Workspace Studio' }];

/** A page answered with an error keeps the error's Retry-After (see lib/error-headers). */
export const headers = errorPageHeaders;

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const theme = useTheme();
  return (
    <html lang="en" data-theme={theme}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <main className="centered">
      <ErrorPage error={error} home={isRouteErrorResponse(error) && error.status === 401 ? '/sign-in' : '/'} />
    </main>
  );
}
