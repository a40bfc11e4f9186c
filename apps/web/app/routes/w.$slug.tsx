// The signed-in shell: header with the workspace switcher and the user menu, the side navigation
// (lib/nav.ts) and the page. Every page under /w/:slug renders in its <Outlet />.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, NavLink, Outlet, useLoaderData, useLocation, useNavigation, useRouteError } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { ErrorPage } from '../components/error-page';
import { useDelayedTrue } from '../components/form';
import { UserMenu } from '../components/user-menu';
import { requireUser } from '../lib/api.server';
import { navFor, type WorkspaceRole } from '../lib/nav';
import { errorPageHeaders } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.workspace.name} · Workspace Studio` : 'Workspace Studio' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  // One call, one system-database statement: the workspace with the caller's verdicts, the system
  // role, and the switcher's list (null when its rate limit refused it: the frame still renders).
  const shell = await api.load((c) => c.workspaces.shell({ workspaceSlug }));
  const { workspace } = shell;
  const current = { slug: workspace.slug, name: workspace.name, role: workspace.role };
  return api.json({
    user: { id: api.user.userId, username: api.user.username, displayName: api.user.displayName, isSystemAdmin: shell.isSystemAdmin },
    // What the caller may do by their role, for every page to disable what they may not (components/permission.tsx).
    workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name, role: workspace.role as WorkspaceRole, can: workspace.can, canGiveRole: workspace.canGiveRole },
    workspaces: shell.workspaces ?? [current],
  });
}

function WorkspaceSwitcher() {
  const { workspace, workspaces } = useLoaderData<typeof loader>();
  const details = useRef<HTMLDetailsElement>(null);
  const location = useLocation();
  useEffect(() => {
    if (details.current) details.current.open = false;
  }, [location.pathname]);
  return (
    <details
      className="switcher"
      ref={details}
      onKeyDown={(event) => {
        // Escape closes the menu and returns focus to its button, as in any menu.
        if (event.key === 'Escape' && details.current?.open) {
          details.current.open = false;
          details.current.querySelector('summary')?.focus();
        }
      }}
    >
      <summary>
        {/* Named by its visible text (WCAG 2.5.3), with what it does before it for screen readers. */}
        <span className="visually-hidden">Switch workspace: </span>
        <span className="switcher-name">{workspace.name}</span>
        <span className="muted small">{workspace.role}</span>
      </summary>
      <ul className="switcher-menu" aria-label="Your workspaces">
        {workspaces.map((w) => (
          <li key={w.slug}>
            <Link to={`/w/${w.slug}`} aria-current={w.slug === workspace.slug ? 'page' : undefined}>
              <span>{w.name}</span>
              <span className="muted small">
                {w.slug} · {w.role}
              </span>
            </Link>
          </li>
        ))}
        <li>
          <Link to="/workspaces/new">+ New workspace</Link>
        </li>
      </ul>
    </details>
  );
}

export default function WorkspaceLayout() {
  const { user, workspace } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const loading = useDelayedTrue(navigation.state === 'loading');
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  // After client-side navigation, move focus to the new page so keyboard and screen reader users start there.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={`/w/${workspace.slug}`} className="brand">
          Workspace Studio
        </Link>
        <WorkspaceSwitcher />
        <UserMenu user={user} />
        {loading ? <div className="loading-bar" role="progressbar" aria-label="Loading page" /> : null}
      </header>
      <nav className="sidenav" aria-label="Workspace">
        {navFor(workspace.role).map((section) => (
          <div key={section.label} className="sidenav-section">
            <p className="sidenav-heading">{section.label}</p>
            <ul>
              {section.items.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to ? `/w/${workspace.slug}/${item.to}` : `/w/${workspace.slug}`} end={item.end} prefetch="intent">
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" className="content" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

/** An error page keeps the error's Retry-After. */
export const headers = errorPageHeaders;

/**
 * A workspace page that failed (403, 404, a 503 while the system database is down) still shows the
 * app's top bar: its loader data (the person, the workspace) may be what could not be read, so the
 * bar has only the brand, which leads home.
 */
export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <div className="shell shell-plain">
      <header className="topbar">
        <Link to="/" className="brand">
          Workspace Studio
        </Link>
      </header>
      <main id="main" className="content">
        <ErrorPage error={error} />
      </main>
    </div>
  );
}
