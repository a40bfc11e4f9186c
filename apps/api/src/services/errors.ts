// Named errors the domain services throw. No tRPC here: src/errors.ts maps each `code` to a
// TRPCError code and to the `{ error, message, details }` shape (MISSION F10).

export type ServiceErrorCode =
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'invalid_input'
  | 'password_required'
  | 'security_violation'
  | 'unauthenticated'
  | 'authentication_failed'
  | 'rate_limited'
  | 'outbound_refused'
  | 'precondition_failed'
  | 'connection_operation_failed'
  | 'service_unavailable'
  | 'schema_needs_migration'
  | 'query_timeout'
  | 'query_error'
  | ImportRefusalCode;

/** Why an import (or a project it names) was refused before any row was written (seed 004). */
export type ImportRefusalCode =
  | 'project_not_found'
  | 'project_connection_missing'
  | 'connection_not_found'
  | 'table_not_found'
  | 'column_mapping_invalid'
  | 'import_not_found'
  | 'import_busy'
  | 'file_too_large'
  | 'file_unreadable';

/** `message` and `details` are shown to the caller: never put secrets or raw driver text in them. */
export class ServiceError extends Error {
  /** Retrying later may succeed (the server went away mid-call): answered 503 with Retry-After. */
  readonly transient: boolean;

  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options);
    this.name = 'ServiceError';
    this.transient = options?.transient ?? false;
  }
}

export class NotFoundError extends ServiceError {
  constructor(what: string, details: Record<string, unknown> = {}) {
    super('not_found', `${what} was not found`, details);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends ServiceError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('forbidden', message, details);
    this.name = 'ForbiddenError';
  }
}

/** Bad input that only the service can detect (e.g. "this user is not a member"); names the field. */
export class InvalidInputError extends ServiceError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('invalid_input', message, { field, ...details });
    this.name = 'InvalidInputError';
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('conflict', message, details);
    this.name = 'ConflictError';
  }
}

/**
 * A workspace database refused or failed an operation (test on save, pool reset): the server's
 * reason, its number/SQLSTATE and, for tests, the steps. Never a credential.
 */
export class ConnectionOperationError extends ServiceError {
  constructor(
    message: string,
    details: { reason: string; database_type: string; error_code: string | null } & Record<string, unknown>,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super('connection_operation_failed', message, details, options);
    this.name = 'ConnectionOperationError';
  }
}

/** A driver's own timeout error (tedious/mssql `ETIMEOUT`), as opposed to a server error or a cancel. */
export function isDriverTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ETIMEOUT';
}

export class ServiceUnavailableError extends ServiceError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('service_unavailable', message, details);
    this.name = 'ServiceUnavailableError';
  }
}

/**
 * A query ran past its time limit and was stopped on the server. `timeoutMs` is the limit that
 * applied (the one asked for, or the connection's maximum when that is lower).
 */
export class QueryTimeoutError extends ServiceError {
  constructor(timeoutMs: number, details: Record<string, unknown> = {}) {
    super('query_timeout', `The query did not finish within ${timeoutMs} ms and was stopped on the server`, { timeoutMs, ...details });
    this.name = 'QueryTimeoutError';
  }
}

/**
 * The database refused the caller's own SQL: its message (about the caller's text, so theirs to
 * read) and its number / SQLSTATE / errno as `databaseCode`.
 */
export class QueryError extends ServiceError {
  constructor(message: string, details: { databaseCode: string | null; database_type: string; line: number | null; statement: number | null } & Record<string, unknown>, options?: { cause?: unknown }) {
    super('query_error', message, details, options);
    this.name = 'QueryError';
  }
}

/** An import refused with its own code (`details.field` names what is at fault). */
export class ImportRefusal extends ServiceError {
  constructor(code: ImportRefusalCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = 'ImportRefusal';
  }
}

export class RateLimitedError extends ServiceError {
  constructor(
    readonly bucket: string,
    readonly retryAfterSeconds: number,
    readonly limit: number,
  ) {
    super('rate_limited', `Too many requests for ${bucket}; try again in ${retryAfterSeconds} s`, {
      bucket,
      limit,
      retryAfterSeconds,
    });
    this.name = 'RateLimitedError';
  }
}

/** Something that cannot happen did (e.g. an INSERT … RETURNING without a row). Shown as a generic 500. */
export class InvariantError extends Error {
  readonly code = 'invariant_violated';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export function expectRow<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw new InvariantError(`${what} returned no row`);
  return row;
}
