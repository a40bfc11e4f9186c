// Light / dark / system in the top bar. The choice is a cookie (routes/theme.tsx) so the server
// renders the next page in it; here the page switches at once (the root reads the pending fetcher).
import { useFetcher, useLocation, useRouteLoaderData } from '@remix-run/react';
import { isTheme, type Theme } from '../lib/theme';

const THEME_FETCHER = 'theme';

const CHOICES: { theme: Theme; label: string; symbol: string }[] = [
  { theme: 'light', label: 'Light theme', symbol: '☀' },
  { theme: 'dark', label: 'Dark theme', symbol: '☾' },
  { theme: 'system', label: 'Theme of the system', symbol: '◐' },
];

/** The theme to render: one being chosen right now, else the cookie's (root loader), else the system's. */
export function useTheme(): Theme {
  const fetcher = useFetcher({ key: THEME_FETCHER });
  const root = useRouteLoaderData<{ theme?: Theme }>('root');
  const pending = fetcher.formData?.get('theme');
  if (isTheme(pending)) return pending;
  return root?.theme ?? 'system';
}

export function ThemeToggle() {
  const fetcher = useFetcher({ key: THEME_FETCHER });
  const current = useTheme();
  const location = useLocation();
  return (
    <fetcher.Form
      method="post"
      action="/theme"
      className="theme-toggle"
      role="group"
      aria-label="Colour theme"
      onSubmit={(event) => {
        // With JavaScript the page stays where it is (no redirect, nothing reloads but the data).
        event.preventDefault();
        const submitter = (event.nativeEvent as SubmitEvent).submitter;
        const theme = submitter instanceof HTMLButtonElement ? submitter.value : '';
        fetcher.submit({ theme }, { method: 'post', action: '/theme' });
      }}
    >
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      {CHOICES.map((choice) => (
        <button key={choice.theme} type="submit" name="theme" value={choice.theme} className="btn btn-ghost btn-small" aria-pressed={current === choice.theme} aria-label={choice.label} title={choice.label}>
          <span aria-hidden="true">{choice.symbol}</span>
        </button>
      ))}
    </fetcher.Form>
  );
}
