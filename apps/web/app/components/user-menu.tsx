// The right end of the top bar on every signed-in page: the person's name (their Account page),
// People and Backups for system Admins, the colour theme, and sign-out.
import { Form, Link, NavLink } from '@remix-run/react';
import { ThemeToggle } from './theme-toggle';

export interface SignedInUser {
  username: string;
  displayName: string | null;
  isSystemAdmin: boolean;
}

export function UserMenu({ user }: { user: SignedInUser }) {
  return (
    <div className="topbar-user">
      <ThemeToggle />
      {user.isSystemAdmin ? (
        <>
          <NavLink to="/people" className="btn btn-ghost">
            People
          </NavLink>
          <NavLink to="/backups" className="btn btn-ghost">
            Backups
          </NavLink>
        </>
      ) : null}
      <Link to="/account" className="btn btn-ghost" data-testid="signed-in-as" aria-label={`Account: ${user.displayName ?? user.username}`}>
        {user.displayName ?? user.username}
      </Link>
      <Form method="post" action="/sign-out">
        <button type="submit" className="btn btn-ghost">
          Sign out
        </button>
      </Form>
    </div>
  );
}

/** The shell of pages outside any workspace (Account, People): top bar and page, no workspace navigation. */
export function PlainShell({ user, children }: { user: SignedInUser; children: React.ReactNode }) {
  return (
    <div className="shell shell-plain">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Workspace Studio
        </Link>
        <UserMenu user={user} />
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
