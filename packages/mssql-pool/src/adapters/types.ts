import type { DriverErrorInfo } from '../errors';
import type { DatabaseType, ResolvedTarget } from '../target';
import type { ChannelSecurity } from '../tls';
import type { ProbeHooks, ProbeResult } from './probe';

/** Positional parameters (`@p1`, `$1`, `?`) or, for mssql only, named ones (`@name`). */
export type QueryParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface QueryResult<Row = Record<string, unknown>> {
  /** Rows of the first result set. */
  rows: Row[];
  /** Rows affected (or returned, for a SELECT). */
  rowCount: number;
}

/** What the manager needs from a driver pool; one implementation per driver. */
export interface DriverPool<Native = unknown> {
  readonly native: Native;
  /** Open connections (idle + borrowed + being opened). */
  readonly size: number;
  readonly borrowed: number;
  readonly idle: number;
  /** Callers queued inside the driver pool for a connection. */
  readonly waiters: number;
  /** What the pool's latest connection negotiated; undefined before one is seen. */
  readonly tls: ChannelSecurity | undefined;
  query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<QueryResult<Row>>;
  /** One round trip (`SELECT 1`); rejects on failure or after `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Close gracefully: stop new work, wait for borrowed connections, close them. */
  close(): Promise<void>;
  /** Close now: borrowed connections are cut, their queries fail. */
  destroy(): Promise<void>;
}

export interface DriverPoolSettings {
  /** Per-connection idle reap inside the driver pool. */
  connectionIdleTimeoutMs: number;
  /** How long a request waits for a free connection inside the driver pool. */
  acquireTimeoutMs: number;
  /** mssql only: tarn validation on each acquire (`'socket'` needs no round trip). */
  validateConnection: boolean | 'socket';
}

export interface DriverHooks {
  /** Every driver `'error'` event ends up here: nothing the driver emits can go unhandled. */
  onError(error: unknown): void;
  /**
   * Called before every physical connection the driver pool opens (the first login and each one
   * after). Resolves to the address to connect to, vetted by the manager's `beforeConnect`; the
   * TLS server name stays `target.host`. A rejection means: open no socket, fail this connect.
   * Undefined when the manager has no `beforeConnect`: the driver resolves `target.host` itself.
   */
  addressOf?: (() => Promise<string>) | undefined;
}

export interface DriverAdapter<Native = unknown> {
  readonly type: DatabaseType;
  /** Build the pool and prove the settings with exactly one login; reject with the driver error. */
  create(target: ResolvedTarget, settings: DriverPoolSettings, hooks: DriverHooks): Promise<DriverPool<Native>>;
  /** Normalise a driver error (number, SQLSTATE, transient or not). */
  classify(error: unknown): DriverErrorInfo;
  /**
   * "Test connection": one connection of its own (never a pool, so nothing is cached, warmed or
   * counted against a circuit), the login, the server version query, close. Connects to
   * `hooks.addressOf()` the way `create` does. Rejects with `ProbeError` naming the step.
   */
  probe(target: ResolvedTarget, hooks: ProbeHooks): Promise<ProbeResult>;
}
