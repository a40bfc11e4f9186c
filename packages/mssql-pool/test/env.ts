/**
 * PostgreSQL / MariaDB URLs for the adapter tests. CI must set them (a missing one fails the run);
 * locally an unset one skips those tests with the reason below rather than guessing a server.
 */
export function databaseUrl(name: 'PG_URL' | 'MYSQL_URL'): string | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (process.env.CI === 'true') throw new Error(`${name} must be set when CI=true`);
    return undefined;
  }
  return value;
}

export const skipReason = (name: string) => `${name} is not set: export it to run these tests against a real server`;
