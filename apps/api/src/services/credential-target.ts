// Where a stored password goes. The password is write-only, so whoever may edit a connection must
// not be able to send the stored one somewhere new (a server they run, or the same server over a
// channel they can read): changing the destination requires the password again.
import type { ConnectionOptions, ConnectionType } from '@studio/db/schema';
import { requestedEncryptionOf } from './connection-tls';
import { InvalidInputError, ServiceError } from './errors';

/** What decides who receives the password: the server, the login it is paired with, and the channel. */
export interface CredentialTarget {
  type: ConnectionType;
  host: string;
  port: number;
  database: string;
  user: string;
  options: ConnectionOptions;
}

/**
 * How well the channel protects the password: 0 in clear, 1 TLS without certificate checks,
 * 2 a checked chain, 3 a checked chain and host name; by the mode in force (`encryption`, else
 * the older `tls` switch as the drivers apply it).
 */
function channelStrength(target: CredentialTarget): number {
  const requested = requestedEncryptionOf(target.type, target.options);
  if (!requested.tlsRequired) return 0;
  return { none: 1, chain: 2, full: 3 }[requested.certificateCheck];
}

/** The option whose change weakened the channel, as the caller named it. */
function weakenedBy(current: CredentialTarget, next: CredentialTarget): string {
  if (next.options.encryption !== current.options.encryption) return 'options.encryption';
  if (next.options.tls !== current.options.tls) return 'options.tls';
  return 'options.trustServerCertificate';
}

/**
 * The fields whose change sends the password somewhere it has not been: type, host, port and
 * database name the server; the user name too, because gateways route by it (Azure's
 * `user@server` logins) and a password belongs to one login; and any TLS change that weakens
 * the channel (TLS off, certificate no longer checked, another CA trusted) hands it to whoever
 * sits on the path.
 */
export function credentialTargetChanges(current: CredentialTarget, next: CredentialTarget): string[] {
  const changed: string[] = [];
  if (next.type !== current.type) changed.push('type');
  if (next.host.toLowerCase() !== current.host.toLowerCase()) changed.push('host');
  if (next.port !== current.port) changed.push('port');
  if (next.database !== current.database) changed.push('database');
  if (next.user !== current.user) changed.push('user');
  if (channelStrength(next) < channelStrength(current)) changed.push(weakenedBy(current, next));
  if (channelStrength(next) >= 2 && next.options.ca !== undefined && next.options.ca !== current.options.ca) changed.push('options.ca');
  // A failover partner or alternate host receives the password too: a new one is a new destination.
  const known = new Set(otherServersOf(current.options).map(serverKey));
  for (const field of new Set(otherServersOf(next.options).filter((server) => !known.has(serverKey(server))).map((server) => server.option))) changed.push(field);
  return changed;
}

/** The servers a connection's pools may reach besides `host:port`, each with the input field naming its host. */
export function otherServersOf(options: ConnectionOptions | undefined): Array<{ option: string; field: string; host: string; port: number | undefined }> {
  return [
    ...(options?.failoverPartner ? [{ option: 'options.failoverPartner', field: 'options.failoverPartner.host', host: options.failoverPartner.host, port: options.failoverPartner.port }] : []),
    ...(options?.alternateHosts ?? []).map((server, i) => ({ option: 'options.alternateHosts', field: `options.alternateHosts.${i}.host`, host: server.host, port: server.port })),
  ];
}

const serverKey = (server: { host: string; port: number | undefined }) => `${server.host.toLowerCase()}:${server.port ?? ''}`;

/** Options that belong to one type of server: a failover partner is SQL Server's, a host list PostgreSQL's. */
export function assertOptionsFitType(type: ConnectionType, options: ConnectionOptions | undefined, prefix = ''): void {
  for (const key of ['failoverPartner', 'readIntent'] as const) {
    if (options?.[key] !== undefined && type !== 'mssql') throw new InvalidInputError(`${prefix}options.${key}`, `${prefix}options.${key}: only SQL Server (mssql) connections take this option`);
  }
  for (const key of ['alternateHosts', 'targetSessionAttrs'] as const) {
    if (options?.[key] !== undefined && type !== 'postgres') throw new InvalidInputError(`${prefix}options.${key}`, `${prefix}options.${key}: only PostgreSQL connections take this option`);
  }
}

/** The password was omitted from a change that moves the stored one elsewhere. */
export class PasswordRequiredError extends ServiceError {
  constructor(field: string, changed: readonly string[]) {
    const message = `${field}: enter the password again to change ${changed.join(', ')} (the stored password is only sent where it was saved for)`;
    super('password_required', message, { field, changed, fields: [{ path: field, message: 'required when the connection target changes' }] });
    this.name = 'PasswordRequiredError';
  }
}

/**
 * Refuses a change of target that would keep the stored password. `password` is the caller's
 * value: undefined = keep the stored one, null = clear, string = replace. Nothing is kept when no
 * password is stored, so then there is nothing to ask for.
 */
export function assertPasswordResupplied(
  current: CredentialTarget,
  next: CredentialTarget,
  change: { password: string | null | undefined; hasStoredPassword: boolean; field: string },
): void {
  if (change.password !== undefined || !change.hasStoredPassword) return;
  const changed = credentialTargetChanges(current, next);
  if (changed.length > 0) throw new PasswordRequiredError(change.field, changed);
}

/** Stored settings and the password they were saved with. */
export interface StoredTarget extends CredentialTarget {
  password: string | null;
}

/**
 * Stored settings with a change laid over them (an absent field keeps its stored value; a
 * `password` of null clears it), refused first when the change moves the target but would keep the
 * stored password. `field` names the password field in the caller's input for that refusal.
 */
export function patchStoredTarget(
  stored: StoredTarget,
  patch: Partial<CredentialTarget> & { password?: string | null | undefined },
  field: string,
): StoredTarget {
  const next: StoredTarget = {
    type: patch.type ?? stored.type,
    host: patch.host ?? stored.host,
    port: patch.port ?? stored.port,
    database: patch.database ?? stored.database,
    user: patch.user ?? stored.user,
    password: patch.password === undefined ? stored.password : patch.password,
    options: patch.options ?? stored.options,
  };
  assertPasswordResupplied(stored, next, { password: patch.password, hasStoredPassword: stored.password !== null, field });
  return next;
}
