// The connection form ↔ connections.create / connections.update / connections.testDraft input.
// Field names are the input paths (`host`, `options.encryption`), so the API's `details.fields[].path`
// lands on the right field. Per-type defaults fill what the user left blank.
import type { EncryptionMode } from '@studio/api';
import type { DatabaseType } from './encryption';
import { checkbox, integer, text } from './forms';

export type ConnectionType = DatabaseType;

/** What a person reads for a connection's type, wherever it is shown. */
export const connectionTypeLabels: Readonly<Record<ConnectionType, string>> = { mssql: 'SQL Server', postgres: 'PostgreSQL', mysql: 'MySQL / MariaDB' };

export const connectionTypes: readonly { type: ConnectionType; label: string; port: number; database: string; hint: string }[] = [
  { type: 'mssql', label: connectionTypeLabels.mssql, port: 1433, database: 'master', hint: 'Encryption required by default: a server without TLS is refused.' },
  { type: 'postgres', label: connectionTypeLabels.postgres, port: 5432, database: 'postgres', hint: 'Choose Verify full for a server outside your network.' },
  { type: 'mysql', label: connectionTypeLabels.mysql, port: 3306, database: '', hint: 'The database (schema) to open is required.' },
];

export function defaultsOf(type: ConnectionType) {
  return connectionTypes.find((t) => t.type === type) ?? connectionTypes[0]!;
}

export function typeOf(form: FormData): ConnectionType {
  const value = form.get('type');
  return value === 'postgres' || value === 'mysql' ? value : 'mssql';
}

/** The encryption fields under `prefix`: the mode, trust (offered for SQL Server `required` only), a CA when pasted. */
export function encryptionOptionsOf(form: FormData, prefix: string): { encryption?: EncryptionMode; trustServerCertificate?: boolean; ca?: string } {
  // Whatever was posted goes to the API, which names the field when it is not a mode of the type.
  const encryption = text(form, `${prefix}.encryption`) as EncryptionMode | undefined;
  const ca = text(form, `${prefix}.ca`);
  return {
    ...(encryption !== undefined && { encryption }),
    ...(checkbox(form, `${prefix}.trustServerCertificate`) && { trustServerCertificate: true }),
    ...(ca !== undefined && { ca }),
  };
}

export interface ServerAddressInput {
  host: string;
  port?: number;
}

/** A connection's other servers and read routing, as the forms edit them (each type its own). */
export interface ServerOptionsInput {
  failoverPartner?: ServerAddressInput;
  readIntent?: boolean;
  alternateHosts?: ServerAddressInput[];
  targetSessionAttrs?: 'read-write' | 'any';
}

/**
 * One `host`, `host:port` or `[ipv6]:port`; a bare IPv6 address is a host. A port that is not a
 * number goes through as NaN so the API names the entry's port.
 */
export function parseServerAddress(entry: string): ServerAddressInput {
  const bracketed = /^(\[[^\]]*\]):(.*)$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: Number(bracketed[2]) };
  const colon = entry.indexOf(':');
  if (colon === -1 || colon !== entry.lastIndexOf(':')) return { host: entry };
  const port = entry.slice(colon + 1).trim();
  return { host: entry.slice(0, colon).trim(), ...(port !== '' && { port: Number(port) }) };
}

/** The other hosts field: one server a line (commas work too), blank lines ignored. */
export function parseServerList(value: string | undefined): ServerAddressInput[] {
  if (value === undefined) return [];
  return value
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(parseServerAddress);
}

/** Shows a stored host list the way the field takes it back. */
export function formatServerList(servers: readonly ServerAddressInput[] | undefined): string {
  return (servers ?? []).map((s) => (s.port === undefined ? s.host : `${s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host}:${s.port}`)).join('\n');
}

/**
 * The fields under `prefix` that belong to `type`: SQL Server's failover partner and read intent,
 * PostgreSQL's other hosts and the server it asks for. Fields of another type are not sent (the
 * form does not show them), so changing the type drops them.
 */
export function serverOptionsOf(form: FormData, prefix: string, type: ConnectionType): ServerOptionsInput {
  if (type === 'mssql') {
    const partner = text(form, `${prefix}.failoverPartner`);
    return {
      ...(partner !== undefined && { failoverPartner: parseServerAddress(partner) }),
      ...(checkbox(form, `${prefix}.readIntent`) && { readIntent: true }),
    };
  }
  if (type === 'postgres') {
    const hosts = parseServerList(text(form, `${prefix}.alternateHosts`));
    // `any` is libpq's default: left out, so a connection saved without it does not change.
    return {
      ...(hosts.length > 0 && { alternateHosts: hosts }),
      ...(text(form, `${prefix}.targetSessionAttrs`) === 'read-write' && { targetSessionAttrs: 'read-write' as const }),
    };
  }
  return {};
}

function optionsOf(form: FormData) {
  const options: ReturnType<typeof encryptionOptionsOf> & ServerOptionsInput & Partial<Record<'poolSize' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'idleTimeoutMs', number>> = {
    ...encryptionOptionsOf(form, 'options'),
    ...serverOptionsOf(form, 'options', typeOf(form)),
  };
  // Blank numbers are left out: the pool manager's defaults apply.
  for (const key of ['poolSize', 'connectTimeoutMs', 'requestTimeoutMs', 'idleTimeoutMs'] as const) {
    const value = integer(form, `options.${key}`);
    if (value !== undefined) options[key] = value;
  }
  return options;
}

/** The target fields, with the type's default port when left blank. */
function targetOf(form: FormData) {
  const type = typeOf(form);
  return {
    type,
    // Blank required fields go through as '' so zod names them.
    host: text(form, 'host') ?? '',
    port: integer(form, 'port') ?? defaultsOf(type).port,
    database: text(form, 'database') ?? '',
    user: text(form, 'user') ?? '',
    options: optionsOf(form),
  };
}

/** Write-only: blank means no password (create) or keep the stored one (update); "clear" sends null. */
function passwordOf(form: FormData, mode: 'create' | 'update'): { password?: string | null } {
  if (mode === 'update' && checkbox(form, 'clearPassword')) return { password: null };
  const password = form.get('password');
  return typeof password === 'string' && password !== '' ? { password } : {};
}

export function connectionCreateInput(form: FormData) {
  return { name: text(form, 'name') ?? '', description: text(form, 'description') ?? null, ...targetOf(form), ...(passwordOf(form, 'create') as { password?: string }) };
}

export function connectionDraftInput(form: FormData) {
  return { ...targetOf(form), ...(passwordOf(form, 'create') as { password?: string }) };
}

export function connectionUpdateInput(form: FormData, connectionId: string) {
  return { connectionId, name: text(form, 'name') ?? '', description: text(form, 'description') ?? null, ...targetOf(form), ...passwordOf(form, 'update') };
}
