/** Why a login was refused, the same for all three drivers. */
export type LoginFailureReason = 'authentication_failed' | 'database_not_found';

/**
 * The one list of login refusals: SQL Server error numbers (18456 login failed, 4060 cannot open
 * database), PostgreSQL SQLSTATEs (28P01, 28000, 3D000) and MySQL/MariaDB errnos (1045, 1044, 1698
 * access denied without a password, 1049 unknown database).
 */
const LOGIN_REASONS = new Map<string, LoginFailureReason>([
  ['18456', 'authentication_failed'],
  ['4060', 'database_not_found'],
  ['28P01', 'authentication_failed'],
  ['28000', 'authentication_failed'],
  ['3D000', 'database_not_found'],
  ['1045', 'authentication_failed'],
  ['1044', 'authentication_failed'],
  ['1698', 'authentication_failed'],
  ['1049', 'database_not_found'],
]);

/**
 * The login refusal a driver error (or its number, SQLSTATE or errno) stands for; undefined when it
 * is something else. Reads `number` (SQL Server, and this package's PoolCreateError), `errno`
 * (MySQL), `sqlState`, and `code` (pg puts the SQLSTATE there), then the `cause` of a wrapper.
 */
export function loginReasonOf(error: unknown): LoginFailureReason | undefined {
  if (typeof error === 'string' || typeof error === 'number') return LOGIN_REASONS.get(String(error));
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as { number?: unknown; errno?: unknown; sqlState?: unknown; code?: unknown; cause?: unknown };
  for (const value of [e.number, e.errno, e.sqlState, e.code]) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const reason = LOGIN_REASONS.get(String(value));
    if (reason !== undefined) return reason;
  }
  return e.cause === undefined || e.cause === error ? undefined : loginReasonOf(e.cause);
}
