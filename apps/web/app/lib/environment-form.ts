// The environment form ↔ environments.create / environments.update input. Field names are the
// input paths, so the API's `details.fields[].path` lands on the right field.
import type { EncryptionMode } from '@studio/api';
import { encryptionOptionsOf, serverOptionsOf, type ServerOptionsInput } from './connection-form';
import { checkbox, integer, text } from './forms';

export const environmentFieldAlias = { host: 'connection.host', port: 'connection.port', database: 'connection.database', user: 'connection.user' };

/** The pool, encryption and server options of a connection, as the form edits them. */
export interface ConnectionOptionsInput extends ServerOptionsInput {
  encryption?: EncryptionMode;
  tls?: boolean;
  trustServerCertificate?: boolean;
  ca?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
}

function optionsOf(form: FormData): ConnectionOptionsInput {
  // An environment's connection is SQL Server's: a failover partner and read intent.
  const options: ConnectionOptionsInput = { ...encryptionOptionsOf(form, 'connection.options'), ...serverOptionsOf(form, 'connection.options', 'mssql') };
  // Blank numbers are left out: the pool manager's defaults apply.
  for (const key of ['poolSize', 'connectTimeoutMs', 'requestTimeoutMs', 'idleTimeoutMs'] as const) {
    const value = integer(form, `connection.options.${key}`);
    if (value !== undefined) options[key] = value;
  }
  return options;
}

/** Write-only: blank means keep the stored password (or none, on create). */
function passwordOf(form: FormData): { password?: string } {
  const password = form.get('connection.password');
  return typeof password === 'string' && password !== '' ? { password } : {};
}

function connectionOf(form: FormData) {
  return {
    // Blank required fields go through as '' so zod names them.
    host: text(form, 'connection.host') ?? '',
    port: integer(form, 'connection.port'),
    database: text(form, 'connection.database') ?? '',
    user: text(form, 'connection.user') ?? '',
    ...passwordOf(form),
    options: optionsOf(form),
  };
}

export function environmentCreateInput(form: FormData) {
  return {
    name: text(form, 'name') ?? '',
    description: text(form, 'description') ?? null,
    isDefault: checkbox(form, 'isDefault'),
    saveUntested: form.get('intent') === 'saveUntested',
    connection: connectionOf(form),
  };
}

export function environmentUpdateInput(form: FormData, environmentId: string) {
  return {
    environmentId,
    name: text(form, 'name') ?? '',
    description: text(form, 'description') ?? null,
    saveUntested: form.get('intent') === 'saveUntested',
    connection: connectionOf(form),
  };
}
