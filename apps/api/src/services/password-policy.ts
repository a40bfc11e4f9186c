// The password rules for local accounts: long enough, not the username, not a well-known password.
// The common-password list is zxcvbn-ts's (about 49 000 entries), shipped in the package: no
// network call decides whether a password is acceptable.
import { dictionary } from '@zxcvbn-ts/language-common';
import { InvalidInputError } from './errors';

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 hashes any length; the cap keeps one request from buying seconds of CPU. */
export const PASSWORD_MAX_LENGTH = 1024;

const commonPasswords: ReadonlySet<string> = new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));

export type PasswordRule = 'min_length' | 'max_length' | 'not_username' | 'not_common';

/** The first rule `password` breaks, with a message that names it; null when it passes. */
export function passwordProblem(password: string, username: string): { rule: PasswordRule; message: string } | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return { rule: 'min_length', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` };
  if (password.length > PASSWORD_MAX_LENGTH) return { rule: 'max_length', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` };
  if (password.toLowerCase() === username.toLowerCase()) return { rule: 'not_username', message: 'must not be the username' };
  if (commonPasswords.has(password.toLowerCase())) return { rule: 'not_common', message: 'is one of the most common passwords; choose another' };
  return null;
}

/** Throws `invalid_input` naming `field` and the rule when `password` breaks one. */
export function assertPasswordPolicy(password: string, username: string, field = 'password'): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new InvalidInputError(field, `The password ${problem.message}`, { rule: problem.rule, fields: [{ path: field, message: `The password ${problem.message}` }] });
}
