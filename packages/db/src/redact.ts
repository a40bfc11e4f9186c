/**
 * Connection-string hygiene: the password of DATABASE_URL must never reach
 * a log line or an error message, even when a driver echoes the URL back.
 */

/** `postgres://user@host:port/db` without the password and query string. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    const port = parsed.port ? `:${parsed.port}` : '';
    return `${parsed.protocol}//${user}${parsed.hostname}${port}${parsed.pathname}`;
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}

/** `host:port` of a URL, for messages that must name where we tried to connect. */
export function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return 'unknown host';
  }
}

/** Replaces the URL and its password (raw or percent-encoded) anywhere in `text`. */
export function redactUrl(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(describeUrl(url));
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return out.split(url).join('***');
  }
  if (password) {
    for (const form of new Set([password, safeDecode(password)])) {
      if (form.length > 0) out = out.split(form).join('***');
    }
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
