import type { DatabaseType } from './database-type';
import type { SecurityViolation } from './tls';

/** Codes carried by every error this package throws; stable for callers to switch on. */
export type PoolErrorCode =
  | 'POOL_OPTIONS'
  | 'POOL_LIMIT'
  | 'POOL_CREATE'
  | 'CIRCUIT_OPEN'
  | 'POOL_CLOSED'
  | 'POOL_UNHEALTHY'
  | 'CONNECT_REFUSED'
  | 'SERVER_LOST';

/** Base class: `code` for programs, `cause` for the driver's original error. */
export class WorkspacePoolError extends Error {
  readonly code: PoolErrorCode;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option (manager or connection target) is invalid; `field` names the one at fault. */
export class PoolOptionsError extends WorkspacePoolError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('POOL_OPTIONS', `invalid option \`${field}\`: ${message}`);
    this.field = field;
  }
}

export type PoolLimit = 'maxPools' | 'maxTotalConnections' | 'poolSize';

/**
 * The caller waited `waitedMs` for room (a pool slot or the connection budget) and none came:
 * every cached pool was busy. Raised instead of evicting a pool that has work in flight.
 */
export class PoolLimitError extends WorkspacePoolError {
  readonly limit: PoolLimit;
  readonly waitedMs: number;

  constructor(limit: PoolLimit, message: string, waitedMs: number) {
    super('POOL_LIMIT', message);
    this.limit = limit;
    this.waitedMs = waitedMs;
  }
}

/** What we know about a driver error, in a shape that is the same for all three drivers. */
export interface DriverErrorInfo {
  /** SQL Server error number (18456), MySQL errno (1045); undefined for PostgreSQL. */
  readonly number: number | undefined;
  /** PostgreSQL SQLSTATE (28P01) or MySQL SQLSTATE; undefined for SQL Server. */
  readonly sqlState: string | undefined;
  /** The driver's own code: ELOGIN, ESOCKET, ECONNREFUSED, ER_ACCESS_DENIED_ERROR... */
  readonly driverCode: string | undefined;
  /** Worth retrying (network, server starting or down); false for auth/config failures. */
  readonly transient: boolean;
  /** The failure is about the connection itself, not the statement (socket closed, refused). */
  readonly connectionLost: boolean;
  /**
   * The connection was refused on our side for its security: `ssl_required` when the server did
   * not offer the TLS the connection requires (nothing was sent in plaintext). Never transient.
   */
  readonly securityViolation?: SecurityViolation | undefined;
}

/** Opening a pool (the probe login) failed. Never cached: the next caller tries again. */
export class PoolCreateError extends WorkspacePoolError implements DriverErrorInfo {
  readonly key: string;
  readonly databaseType: DatabaseType;
  readonly number: number | undefined;
  readonly sqlState: string | undefined;
  readonly driverCode: string | undefined;
  readonly transient: boolean;
  readonly connectionLost: boolean;
  readonly securityViolation: SecurityViolation | undefined;

  constructor(key: string, databaseType: DatabaseType, info: DriverErrorInfo, cause: unknown) {
    const detail = [
      info.number !== undefined ? `number ${info.number}` : undefined,
      info.sqlState !== undefined ? `SQLSTATE ${info.sqlState}` : undefined,
      info.driverCode,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
    super('POOL_CREATE', `could not open ${databaseType} pool ${key}: ${messageOf(cause)}${detail ? ` (${detail})` : ''}`, { cause });
    this.key = key;
    this.databaseType = databaseType;
    this.number = info.number;
    this.sqlState = info.sqlState;
    this.driverCode = info.driverCode;
    this.transient = info.transient;
    this.connectionLost = info.connectionLost;
    this.securityViolation = info.securityViolation;
  }
}

/**
 * The pool for `key` failed `failures` times in a row (or failed authentication) and callers fail
 * fast until `retryAt`, when one caller is let through to probe again. `cause` is the last failure.
 */
export class CircuitOpenError extends WorkspacePoolError {
  readonly key: string;
  readonly failures: number;
  readonly retryAt: Date;

  constructor(key: string, failures: number, retryAt: number, cause: unknown) {
    super(
      'CIRCUIT_OPEN',
      `pool ${key} is unavailable after ${failures} consecutive failure(s); failing fast until ${new Date(retryAt).toISOString()}: ${messageOf(cause)}`,
      { cause },
    );
    this.key = key;
    this.failures = failures;
    this.retryAt = new Date(retryAt);
  }

  /** The driver error number of the last failure (18456, 1045), when there was one. */
  get number(): number | undefined {
    return this.cause instanceof PoolCreateError ? this.cause.number : undefined;
  }
}

/** The pool is unhealthy and did not recover within the caller's acquire timeout. */
export class PoolUnhealthyError extends WorkspacePoolError {
  readonly key: string;

  constructor(key: string, waitedMs: number, cause: unknown) {
    super('POOL_UNHEALTHY', `pool ${key} is unhealthy and did not recover within ${waitedMs} ms: ${messageOf(cause)}`, { cause });
    this.key = key;
  }
}

/**
 * `beforeConnect` refused a connection (the outbound policy): no socket was opened. `cause` is
 * what the hook threw. Never retried and never opens the circuit; a pool that was open is closed.
 */
export class ConnectRefusedError extends WorkspacePoolError {
  readonly key: string;

  constructor(key: string, cause: unknown) {
    super('CONNECT_REFUSED', `connection for pool ${key} refused before connecting: ${messageOf(cause)}`, { cause });
    this.key = key;
  }
}

/**
 * The server a call was running on went away and the pool failed over to another one. The call is
 * not retried there: it may have written. `server` is the one lost; `cause` the driver's error.
 */
export class ServerLostError extends WorkspacePoolError {
  readonly key: string;
  readonly server: { host: string; port: number };

  constructor(key: string, server: { host: string; port: number }, cause: unknown) {
    super(
      'SERVER_LOST',
      `the server ${server.host}:${server.port} of pool ${key} went away during this call (${messageOf(cause)}); it was not retried, since it may have written, and new calls go to another server`,
      { cause },
    );
    this.key = key;
    this.server = server;
  }
}

/** The manager (or this pool) was closed. */
export class PoolClosedError extends WorkspacePoolError {
  constructor(message = 'the pool manager is closed') {
    super('POOL_CLOSED', message);
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
