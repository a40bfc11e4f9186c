// The connection form ↔ connections.create / connections.update / connections.testDraft input.
// Field names are the input paths (`host`, `options.encryption`), so the API's `details.fields[].path`
// lands on the right field. Per-type defaults fill what the user left blank.
import type { EncryptionMode } from '@studio/api';
import type { DatabaseType } from './encryption';
import { checkbox, integer, text } from './forms';

export type ConnectionType = DatabaseType;

export const connectionTypes: readonly { type: ConnectionType; label: string; port: number; database: string; hint: string }[] = [
  { type: 'mssql', label: 'SQL Server', port: 1433, database: 'master', hint: 'Encryption required by default: a server without TLS is refused.' },
  { type: 'postgres', label: 'PostgreSQL', port: 5432, database: 'postgres', hint: 'Choose Verify full for a server outside your network.' },
  { type: 'mysql', label: 'MySQL / MariaDB', port: 3306, database: '', hint: 'The database (schema) to open is required.' },
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

function optionsOf(form: FormData) {
  const options: Record<string, boolean | number | string> = encryptionOptionsOf(form, 'options');
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
