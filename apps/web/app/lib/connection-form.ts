// The connection form ↔ connections.create / connections.update / connections.testDraft input.
// Field names are the input paths (`host`, `options.tls`), so the API's `details.fields[].path`
// lands on the right field. Per-type defaults fill what the user left blank.
import { checkbox, integer, text } from './forms';

export type ConnectionType = 'mssql' | 'postgres' | 'mysql';

export const connectionTypes: readonly { type: ConnectionType; label: string; port: number; database: string; tls: boolean; hint: string }[] = [
  { type: 'mssql', label: 'SQL Server', port: 1433, database: 'master', tls: true, hint: 'TLS on by default, as the driver requires.' },
  { type: 'postgres', label: 'PostgreSQL', port: 5432, database: 'postgres', tls: false, hint: 'Turn TLS on for a server outside your network.' },
  { type: 'mysql', label: 'MySQL / MariaDB', port: 3306, database: '', tls: false, hint: 'The database (schema) to open is required.' },
];

export function defaultsOf(type: ConnectionType) {
  return connectionTypes.find((t) => t.type === type) ?? connectionTypes[0]!;
}

export function typeOf(form: FormData): ConnectionType {
  const value = form.get('type');
  return value === 'postgres' || value === 'mysql' ? value : 'mssql';
}

function optionsOf(form: FormData) {
  const options: Record<string, boolean | number> = {
    tls: checkbox(form, 'options.tls'),
    trustServerCertificate: checkbox(form, 'options.trustServerCertificate'),
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
