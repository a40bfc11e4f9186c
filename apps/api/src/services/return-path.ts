// Where a browser may be sent back to after signing in (password or single sign-on) or any other
// redirect that carries a caller-chosen target: a path on this site, nothing else. Browsers are
// lenient with what follows `Location:` (they drop tabs and newlines, read `\` as `/`, and take
// `//host` as another site), so the rule is a strict allow-list rather than a list of known tricks.

/**
 * `/w/twsbp/sql?tab=1#x`: starts with exactly one `/`, then printable ASCII only (URLs arrive
 * percent-encoded, so legitimate non-ASCII text is already `%XX`), with no backslash and no
 * whitespace or control character anywhere. This refuses `//evil.example`, `/\evil.example`,
 * `/%09/evil.example` once decoded (`/\t/evil.example`), `https://…`, `javascript:…`, and header
 * injection through CR/LF.
 */
export function isSafeReturnPath(path: string): boolean {
  return path.length <= RETURN_PATH_MAX_LENGTH && /^\/(?![/\\])[\x21-\x7e]*$/.test(path) && !path.includes('\\');
}

export const RETURN_PATH_MAX_LENGTH = 2_048;

/** The caller's target when it is a safe path on this site, else `fallback`. */
export function safeReturnPath(to: unknown, fallback = '/'): string {
  return typeof to === 'string' && isSafeReturnPath(to) ? to : fallback;
}

/**
 * Why `to` cannot be a return path at all, or undefined. A control character (`%0A`, `%0D`, `%09`
 * once decoded) or a character no HTTP header can carry (beyond Latin-1) is an error in the
 * caller's input, answered 400 naming the field; a well-formed path to somewhere else (`//host`,
 * `https://…`) is only not followed (`safeReturnPath` falls back).
 */
export function returnPathProblem(to: unknown): string | undefined {
  if (typeof to !== 'string') return undefined;
  let beyondLatin1 = false;
  for (let i = 0; i < to.length; i++) {
    const code = to.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return 'must be a path on this site, without control characters';
    if (code > 0xff) beyondLatin1 = true;
  }
  return beyondLatin1 ? 'must be a path on this site; non-ASCII text must be percent-encoded' : undefined;
}
