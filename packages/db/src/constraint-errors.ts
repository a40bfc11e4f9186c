/**
 * Maps a PostgreSQL integrity violation (from pg, PGlite, or wrapped by
 * drizzle's DrizzleQueryError) to something an API can show next to a field.
 * Never copies the server's `detail`, which echoes the offending values.
 */

export type ConstraintViolationKind = 'unique' | 'foreign_key' | 'not_null' | 'check';

export interface ConstraintViolation {
  readonly kind: ConstraintViolationKind;
  /** SQLSTATE: 23505, 23503 / 23001, 23502 or 23514. */
  readonly sqlState: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  /** Input field at fault, in the API's camelCase, when known. */
  readonly field: string | undefined;
  readonly message: string;
}

const KIND_BY_SQLSTATE: Record<string, ConstraintViolationKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  // ON DELETE RESTRICT reports restrict_violation rather than 23503.
  '23001': 'foreign_key',
  '23502': 'not_null',
  '23514': 'check',
};

/** Every named constraint a user can trip, with the field and message to show. */
export const CONSTRAINT_MESSAGES: Readonly<Record<string, { field: string; message: string }>> = {
  roles_name_key: { field: 'name', message: 'a role with this name already exists' },
  users_username_key: { field: 'username', message: 'this username is already taken' },
  users_google_subject_key: { field: 'googleSubject', message: 'this Google account is already linked to another user' },
  users_role_id_fkey: { field: 'roleId', message: 'the role does not exist or is still assigned to users' },
  sessions_user_id_fkey: { field: 'userId', message: 'the user does not exist' },
  workspaces_slug_key: { field: 'slug', message: 'this workspace slug is already taken' },
  workspaces_slug_check: { field: 'slug', message: 'a slug is lowercase letters and digits separated by single dashes' },
  workspaces_member_count_check: { field: 'memberCount', message: 'member count cannot be negative' },
  workspaces_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
  workspace_members_workspace_user_key: { field: 'userId', message: 'this user is already a member of the workspace' },
  workspace_members_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  workspace_members_user_id_fkey: { field: 'userId', message: 'the user does not exist' },
  connections_workspace_name_key: { field: 'name', message: 'a connection with this name already exists in this workspace' },
  connections_port_check: { field: 'port', message: 'port must be between 1 and 65535' },
  connections_key_version_check: { field: 'keyVersion', message: 'key version must be 1 or more' },
  connections_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  connections_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
  connection_access_connection_user_key: { field: 'userId', message: 'this user already has access to the connection' },
  connection_access_connection_id_fkey: { field: 'connectionId', message: 'the connection does not exist' },
  connection_access_user_id_fkey: { field: 'userId', message: 'the user does not exist' },
  connection_access_assigned_by_fkey: { field: 'assignedBy', message: 'the assigning user does not exist' },
  environments_workspace_name_key: { field: 'name', message: 'an environment with this name already exists in this workspace' },
  environments_workspace_default_key: { field: 'isDefault', message: 'the workspace already has a default environment' },
  environments_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  environments_connection_id_fkey: { field: 'connectionId', message: 'the connection does not exist' },
  environments_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
  stored_procedures_workspace_name_key: {
    field: 'name',
    message: 'a stored procedure with this name already exists in this workspace',
  },
  stored_procedures_published_check: {
    field: 'status',
    message: 'a published procedure needs its published SQL and publish time',
  },
  stored_procedures_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  stored_procedures_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
  api_tokens_token_hash_key: { field: 'token', message: 'this token already exists' },
  api_tokens_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  api_tokens_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
  audit_log_actor_user_id_fkey: { field: 'actorUserId', message: 'the acting user does not exist' },
  audit_log_actor_token_id_fkey: { field: 'actorTokenId', message: 'the acting token does not exist' },
  projects_workspace_name_key: { field: 'name', message: 'a project with this name already exists in this workspace' },
  projects_workspace_id_fkey: { field: 'workspaceId', message: 'the workspace does not exist' },
  projects_connection_id_fkey: { field: 'connectionId', message: 'the connection does not exist' },
  projects_created_by_fkey: { field: 'createdBy', message: 'the creating user does not exist' },
};

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  cause?: unknown;
}

function findPgError(error: unknown): PgErrorFields | undefined {
  let current: unknown = error;
  // drizzle wraps driver errors (DrizzleQueryError.cause); follow a few levels of cause.
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const fields = current as PgErrorFields;
    if (typeof fields.code === 'string' && Object.hasOwn(KIND_BY_SQLSTATE, fields.code)) return fields;
    current = fields.cause;
  }
  return undefined;
}

const camelCase = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Describes an integrity violation, or returns undefined when `error` is something else. */
export function describeConstraintViolation(error: unknown): ConstraintViolation | undefined {
  const pgError = findPgError(error);
  if (!pgError) return undefined;
  const sqlState = pgError.code as string;
  const kind = KIND_BY_SQLSTATE[sqlState] as ConstraintViolationKind;
  const constraint = typeof pgError.constraint === 'string' ? pgError.constraint : undefined;
  const table = typeof pgError.table === 'string' ? pgError.table : undefined;
  const known = constraint ? CONSTRAINT_MESSAGES[constraint] : undefined;
  if (known) return { kind, sqlState, constraint, table, field: known.field, message: known.message };
  if (kind === 'not_null' && typeof pgError.column === 'string') {
    const field = camelCase(pgError.column);
    return { kind, sqlState, constraint, table, field, message: `${field} is required` };
  }
  const fallback: Record<ConstraintViolationKind, string> = {
    unique: 'a record with these values already exists',
    foreign_key: 'a referenced record does not exist, or the record is still referenced',
    not_null: 'a required value is missing',
    check: 'a value is out of the allowed range',
  };
  return { kind, sqlState, constraint, table, field: undefined, message: fallback[kind] };
}
