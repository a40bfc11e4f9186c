// The colour theme a person chose: light, dark, or the system's (`prefers-color-scheme`). Kept in a
// cookie so the server renders the page in that theme from the first byte (no flash of the other).
export const THEMES = ['light', 'dark', 'system'] as const;
export type Theme = (typeof THEMES)[number];

export const THEME_COOKIE = 'studio_theme';
/** A year: a preference, not a session. */
const THEME_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

/** The theme in a Cookie header; anything missing or unknown is the system's. */
export function themeFromCookieHeader(header: string | null): Theme {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === THEME_COOKIE) {
      const value = rest.join('=');
      return isTheme(value) ? value : 'system';
    }
  }
  return 'system';
}

/** The Set-Cookie value that remembers `theme` (readable by the page's own requests only). */
export function themeCookie(theme: Theme, secure: boolean): string {
  return `${THEME_COOKIE}=${theme}; Path=/; Max-Age=${THEME_COOKIE_MAX_AGE_SECONDS}; SameSite=Lax; HttpOnly${secure ? '; Secure' : ''}`;
}
