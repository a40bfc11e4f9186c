// The one place failures become the F10 shape `{ error, message, details }` (RFC 002 §9.3).
// Services throw named errors; `toTRPCError` picks the tRPC code, `errorFormatter` puts the
// problem in `shape.data` for tRPC and HTTP alike. Unknown errors are logged and shown generically.
import { describeConstraintViolation, PoolBusyError, unavailableReasonOf } from '@studio/db/errors';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Logger } from 'pino';
import { CircuitOpenError, ConnectRefusedError, loginReasonOf, PoolCreateError, PoolOptionsError, PoolUnhealthyError, ServerLostError, WorkspacePoolError } from '@studio/mssql-pool';
import { SSL_REQUIRED_MESSAGE } from './services/connection-tls';
import { KeyRingError } from './services/crypto';
import { ServiceError, type ServiceErrorCode } from './services/errors';
import { OutboundPolicyError } from './services/outbound-policy';
import type { OutageMonitor } from './services/outages';
import type { Problem } from './problem';

/** Carries a Problem as the `cause` of a TRPCError so the formatter can find it. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'ApiProblem';
  }
}

const codeByServiceError: Record<ServiceErrorCode, TRPC_ERROR_CODE_KEY> = {
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  forbidden: 'FORBIDDEN',
  invalid_input: 'BAD_REQUEST',
  password_required: 'BAD_REQUEST',
  // The server did not meet the connection's security requirement (no TLS offered).
  security_violation: 'PRECONDITION_FAILED',
  unauthenticated: 'UNAUTHORIZED',
  authentication_failed: 'UNAUTHORIZED',
  rate_limited: 'TOO_MANY_REQUESTS',
  outbound_refused: 'FORBIDDEN',
  precondition_failed: 'PRECONDITION_FAILED',
  connection_operation_failed: 'BAD_REQUEST',
  service_unavailable: 'SERVICE_UNAVAILABLE',
  schema_needs_migration: 'PRECONDITION_FAILED',
  // 408: the caller's query took too long; nothing is wrong with the server.
  query_timeout: 'TIMEOUT',
  query_error: 'BAD_REQUEST',
  project_not_found: 'NOT_FOUND',
  // The project exists but cannot be imported into as it stands: fix the project, then retry.
  project_connection_missing: 'PRECONDITION_FAILED',
  connection_not_found: 'PRECONDITION_FAILED',
  table_not_found: 'BAD_REQUEST',
  column_mapping_invalid: 'BAD_REQUEST',
  import_not_found: 'NOT_FOUND',
  import_busy: 'CONFLICT',
  file_too_large: 'PAYLOAD_TOO_LARGE',
  file_unreadable: 'BAD_REQUEST',
};

/** What a caller is told to wait when the system database is down: long enough not to pile on. */
export const SYSTEM_DATABASE_RETRY_AFTER_SECONDS = 5;
/** A workspace pool that is reconnecting: about how long it takes. */
const WORKSPACE_RETRY_AFTER_SECONDS = 2;

/** Where a mapped failure is reported: the log for bugs, the outage monitor for outages. */
export interface ErrorReporting {
  logger: Logger;
  path?: string | undefined;
  outages?: OutageMonitor | undefined;
}

/** What any unexpected failure is answered with: nothing about its cause leaves the process. */
export const GENERIC_INTERNAL: Problem = { error: 'internal_error', message: 'Internal server error', details: {} };

function problemError(code: TRPC_ERROR_CODE_KEY, problem: Problem): TRPCError {
  return new TRPCError({ code, message: problem.message, cause: new ApiProblem(problem) });
}

interface Issue {
  path?: readonly unknown[] | undefined;
  message: string;
}

function pathText(path: readonly unknown[] | undefined): string {
  return (path ?? [])
    .map((segment) => (typeof segment === 'object' && segment !== null && 'key' in segment ? (segment as { key: unknown }).key : segment))
    .map(String)
    .join('.');
}

/** zod (or any Standard Schema) issues → one message naming each field, plus `details.fields`. */
function validationProblem(issues: readonly Issue[]): Problem {
  const fields = issues.map((issue) => ({ path: pathText(issue.path) || '(input)', message: issue.message }));
  const message = `Invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`;
  return { error: 'invalid_input', message, details: { fields } };
}

function issuesOf(error: unknown): Issue[] | undefined {
  const issues = (error as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

/** Maps anything a procedure threw to a TRPCError whose cause is an ApiProblem. */
export function toTRPCError(error: unknown, log?: ErrorReporting): TRPCError {
  if (error instanceof TRPCError && error.cause instanceof ApiProblem) return error;
  const cause = error instanceof TRPCError ? (error.cause ?? error) : error;

  if (error instanceof TRPCError && error.code === 'BAD_REQUEST') {
    const issues = issuesOf(error.cause);
    if (issues) return problemError('BAD_REQUEST', validationProblem(issues));
  }
  if (cause instanceof ServiceError) {
    const code = cause.code === 'connection_operation_failed' && cause.transient ? 'SERVICE_UNAVAILABLE' : codeByServiceError[cause.code];
    return problemError(code, { error: cause.code, message: cause.message, details: cause.details });
  }
  // The pool manager refuses at connect time with the policy's own error as the cause.
  const outbound = cause instanceof ConnectRefusedError ? cause.cause : cause;
  if (outbound instanceof OutboundPolicyError) {
    return problemError('FORBIDDEN', {
      error: 'outbound_refused',
      message: outbound.message,
      details: { field: outbound.field, reason: outbound.decision.reason },
    });
  }
  if (cause instanceof WorkspacePoolError) return poolProblem(cause);
  // Load, not an outage: the database answers, but more calls wait for it than the queue holds.
  // The outage monitor is not told (it would refuse every call until a probe).
  const busy = cause instanceof PoolBusyError ? cause : cause instanceof Error && cause.cause instanceof PoolBusyError ? cause.cause : undefined;
  if (busy) {
    return problemError('SERVICE_UNAVAILABLE', {
      error: 'system_database_busy',
      message: 'The server is at capacity; retry in a moment',
      details: { dependency: 'system_database', reason: busy.code, retryAfterSeconds: 1 },
    });
  }
  // Workspace drivers' failures were mapped above (pool errors, withConnection); what is left that
  // says "unreachable" is the system database. Not a bug: no error line, the monitor warns once.
  const unavailable = unavailableReasonOf(cause);
  if (unavailable !== undefined) {
    log?.outages?.failed('system_database', unavailable);
    return problemError('SERVICE_UNAVAILABLE', {
      error: 'service_unavailable',
      message: `The system database is not available (${unavailable}); retry in a few seconds`,
      details: { dependency: 'system_database', reason: unavailable, retryAfterSeconds: SYSTEM_DATABASE_RETRY_AFTER_SECONDS },
    });
  }
  const violation = describeConstraintViolation(cause);
  if (violation) {
    const field = violation.field;
    const message = field ? `${field}: ${violation.message}` : violation.message;
    const details = { field, constraint: violation.constraint };
    return violation.kind === 'unique'
      ? problemError('CONFLICT', { error: 'conflict', message, details })
      : problemError('BAD_REQUEST', {
          error: 'invalid_input',
          message,
          details: { ...details, fields: field ? [{ path: field, message: violation.message }] : [] },
        });
  }
  if (cause instanceof KeyRingError) {
    log?.logger.error({ err: cause, path: log.path }, 'stored credential could not be decrypted');
    return problemError('INTERNAL_SERVER_ERROR', {
      error: 'credential_unreadable',
      message: 'A stored credential could not be decrypted; an administrator must check ENCRYPTION_KEYS',
      details: {},
    });
  }
  if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') {
    // tRPC's own refusals (unauthorised, not found path, parse errors): their messages are safe.
    return problemError(error.code, { error: error.code.toLowerCase(), message: error.message, details: {} });
  }
  log?.logger.error({ err: cause, path: log.path }, 'unhandled error in procedure');
  return problemError('INTERNAL_SERVER_ERROR', GENERIC_INTERNAL);
}

/**
 * The pool manager's failures (packages/mssql-pool README "Mapping for the API"). Driver messages
 * are not passed on for pool errors: only the number/SQLSTATE, which carry no secrets.
 */
function poolProblem(error: WorkspacePoolError): TRPCError {
  if (error instanceof ServerLostError) {
    return problemError('SERVICE_UNAVAILABLE', {
      error: 'connection_operation_failed',
      message: 'The workspace database server went away during the call, which was not retried since it may have written; its pool has moved to another server, retry in a few seconds',
      details: { reason: 'connection_lost', database_type: null, error_code: null, retryAfterSeconds: WORKSPACE_RETRY_AFTER_SECONDS },
    });
  }
  if (error instanceof PoolOptionsError) {
    return problemError('BAD_REQUEST', { error: 'invalid_input', message: `Invalid connection setting: ${error.field}`, details: { field: error.field, fields: [{ path: error.field, message: error.message }] } });
  }
  // An open circuit carries the login failure that opened it.
  const create = error instanceof PoolCreateError ? error : (error instanceof CircuitOpenError || error instanceof PoolUnhealthyError) && error.cause instanceof PoolCreateError ? error.cause : undefined;
  if (create?.securityViolation !== undefined) {
    // Every operation on the connection refuses the same way while the server offers no TLS.
    return problemError('PRECONDITION_FAILED', {
      error: 'security_violation',
      message: SSL_REQUIRED_MESSAGE,
      details: { reason: create.securityViolation, current_protocol: 'plain', database_type: create.databaseType, error_code: create.driverCode ?? null },
    });
  }
  const errorCode = create?.number !== undefined ? String(create.number) : (create?.sqlState ?? create?.driverCode ?? null);
  const reason = (errorCode === null ? undefined : loginReasonOf(errorCode)) ?? networkReasonOf(create) ?? (error instanceof CircuitOpenError ? 'circuit_open' : error.code.toLowerCase());
  const permanent = error instanceof PoolCreateError && !error.transient;
  const retryAfterSeconds = error instanceof CircuitOpenError ? Math.max(1, Math.ceil((error.retryAt.getTime() - Date.now()) / 1000)) : WORKSPACE_RETRY_AFTER_SECONDS;
  return problemError(permanent ? 'BAD_REQUEST' : 'SERVICE_UNAVAILABLE', {
    error: 'connection_operation_failed',
    message: permanent ? `The database refused the connection (${reason})` : `The workspace database is not available (${reason})`,
    details: { reason, database_type: create?.databaseType ?? null, error_code: errorCode, ...(!permanent && { retryAfterSeconds }) },
  });
}

const NETWORK_REASONS = new Map([
  ['ECONNREFUSED', 'connection_refused'],
  ['EHOSTUNREACH', 'host_unreachable'],
  ['ENETUNREACH', 'host_unreachable'],
  ['ENOTFOUND', 'dns_failed'],
  ['EAI_AGAIN', 'dns_failed'],
  ['ETIMEOUT', 'timeout'],
  ['ETIMEDOUT', 'timeout'],
]);

/** A refused or unreachable server is said as such: the drivers wrap the socket's code (ESOCKET) around it. */
function networkReasonOf(error: unknown): string | undefined {
  // node-mssql keeps tedious' error in `originalError`, tedious the socket's in `cause`.
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++) {
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? NETWORK_REASONS.get(code) : undefined;
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** The Problem of an error that reached the formatter, mapped or not. */
export function problemOf(error: TRPCError): Problem {
  if (error.cause instanceof ApiProblem) return error.cause.problem;
  const mapped = toTRPCError(error);
  return mapped.cause instanceof ApiProblem ? mapped.cause.problem : GENERIC_INTERNAL;
}

interface DefaultShape {
  code: number;
  message: string;
  data: { code: TRPC_ERROR_CODE_KEY; httpStatus: number; path?: string; stack?: string };
}

/** tRPC errorFormatter: the problem goes in `data`; stacks never leave the process. */
export function errorFormatter({ shape, error }: { shape: DefaultShape; error: TRPCError }) {
  const problem = problemOf(error);
  return {
    code: shape.code,
    message: problem.message,
    data: {
      error: problem.error,
      message: problem.message,
      details: problem.details,
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      ...(shape.data.path !== undefined && { path: shape.data.path }),
    },
  };
}

/** Seconds to put in a Retry-After header: rate limits and outages (503) say how long to wait. */
export function retryAfterOf(error: TRPCError): number | undefined {
  const seconds = problemOf(error).details.retryAfterSeconds;
  const waits = error.code === 'TOO_MANY_REQUESTS' || error.code === 'SERVICE_UNAVAILABLE';
  return waits && typeof seconds === 'number' ? seconds : undefined;
}

export function unauthenticated(message = 'Sign in or present an API token'): TRPCError {
  return problemError('UNAUTHORIZED', { error: 'unauthenticated', message, details: {} });
}

/** The HTTP status every transport answers for a procedure error (tRPC's own code → status table). */
export function httpStatusOf(error: unknown): number {
  return error instanceof TRPCError ? getHTTPStatusCodeFromError(error) : 500;
}
