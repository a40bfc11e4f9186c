// Database servers name the login in their refusals ("Login failed for user 'app'", "password
// authentication failed for user "app"", "Access denied for user 'app'@'10.0.0.1'"). The login is
// shown only to those who manage the connection, so every server message shown to anyone else
// goes through here first.

const HIDDEN = '(hidden)';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `message` with the login name taken out: whatever a server quotes after "user", and `user`
 * itself wherever it stands quoted or bracketed (`role "app" does not exist`, `[app]`).
 */
export function hideLogin(message: string, user: string | null): string {
  let out = message.replace(/(\buser\s+)(['"`])(?:(?!\2)[^\r\n])*\2/gi, `$1$2${HIDDEN}$2`);
  if (user !== null && user !== '') {
    const name = escapeRegExp(user);
    out = out.replace(new RegExp(`(['"\`])${name}\\1|\\[${name}\\]`, 'g'), (match) => (match.startsWith('[') ? `[${HIDDEN}]` : `${match[0]}${HIDDEN}${match[0]}`));
  }
  return out;
}
