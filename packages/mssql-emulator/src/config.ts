/** mssql connection configs: for an emulator, or parsed from an `MSSQL_URL`. */

/** The subset of mssql's `config` the emulator and `MSSQL_URL` produce. */
export interface MssqlConfig {
  server: string;
  port: number;
  user: string;
  password: string;
  database: string;
  options?: { encrypt?: boolean; trustServerCertificate?: boolean };
}

/** The URL was not mssql://user:password@host[:port]/database. */
export class MssqlUrlError extends Error {
  readonly code = 'EURL';
  constructor(message: string) {
    super(message);
    this.name = 'MssqlUrlError';
  }
}

/**
 * Parses `mssql://user:password@host[:port][/database][?encrypt=true&trustServerCertificate=true]`
 * (also `sqlserver://`). User and password are URL-decoded; the port defaults to 1433 and the
 * database to `master`.
 */
export function parseMssqlUrl(url: string): MssqlConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MssqlUrlError('MSSQL_URL is not a valid URL (expected mssql://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'mssql:' && parsed.protocol !== 'sqlserver:') {
    throw new MssqlUrlError(`unsupported URL scheme '${parsed.protocol}' (expected mssql://)`);
  }
  if (!parsed.hostname) throw new MssqlUrlError('the URL has no host');
  if (!parsed.username) throw new MssqlUrlError('the URL has no user');
  const config: MssqlConfig = {
    server: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 1433,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'master',
  };
  const encrypt = parsed.searchParams.get('encrypt');
  const trust = parsed.searchParams.get('trustServerCertificate');
  if (encrypt !== null || trust !== null) {
    config.options = {};
    if (encrypt !== null) config.options.encrypt = encrypt === 'true';
    if (trust !== null) config.options.trustServerCertificate = trust === 'true';
  }
  return config;
}

export function formatMssqlUrl(config: Pick<MssqlConfig, 'server' | 'port' | 'user' | 'password' | 'database'>): string {
  const user = encodeURIComponent(config.user);
  const password = encodeURIComponent(config.password);
  return `mssql://${user}:${password}@${config.server}:${config.port}/${encodeURIComponent(config.database)}`;
}
