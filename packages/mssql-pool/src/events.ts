// The manager's public vocabulary: pool states, events, stats and call options.
import type mssql from 'mssql';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import type { WorkspacePoolError } from './errors';
import type { HistogramSnapshot } from './histogram';
import type { DatabaseType } from './database-type';
import type { ChannelSecurity, EncryptionMode } from './tls';

/** The driver pool a lease exposes, by connection type. */
export interface NativePools {
  mssql: mssql.ConnectionPool;
  postgres: pg.Pool;
  mysql: mysql.Pool;
}

export type PoolState = 'connecting' | 'ready' | 'unhealthy' | 'draining' | 'closed';

export type EvictReason = 'lru' | 'idle' | 'replaced' | 'invalidated' | 'reset' | 'circuit-open' | 'unreachable' | 'refused' | 'close' | 'expired' | 'failover';

/** Why a pool got a successor: changed settings, its lifetime, or its server failed. */
export type ReplaceReason = 'settings' | 'lifetime' | 'failover';

/** A server as events and stats name it (never a credential). */
export interface ServerRef {
  host: string;
  port: number;
}

export interface PoolIdentity {
  /** `${workspaceId}:${connectionId}:${fingerprint}`; the fingerprint is an HMAC, never the password. */
  key: string;
  workspaceId: string;
  connectionId: string;
  type: DatabaseType;
}

export interface PoolCreatedEvent extends PoolIdentity {
  poolSize: number;
  durationMs: number;
  /** Connection attempts it took (1 unless transient failures were retried). */
  attempts: number;
}
export interface PoolEvictedEvent extends PoolIdentity {
  reason: EvictReason;
}
export interface PoolUnhealthyEvent extends PoolIdentity {
  /** What failed: the first login, a health check, or traffic on an open pool. */
  phase: 'create' | 'health-check' | 'traffic';
  error: WorkspacePoolError | Error;
  consecutiveFailures: number;
  /** Delay before the next attempt; undefined when the circuit opened (or the failure is permanent). */
  retryInMs: number | undefined;
  /** The cap the delay was drawn under (full jitter: retryInMs is uniform in [0, ceilingMs)). */
  ceilingMs: number | undefined;
  circuitOpen: boolean;
}
export interface PoolRecoveredEvent extends PoolIdentity {
  attempts: number;
  downtimeMs: number;
}
/** A successor took over from the pool `replaced` (which now drains). */
export interface PoolReplacedEvent extends PoolIdentity {
  reason: ReplaceReason;
  /** Key of the pool it took over from (the same key after a lifetime renewal or a failover). */
  replaced: string;
  server: ServerRef;
}
/**
 * A successor could not log in; the pool `current` keeps serving. For `settings` and `lifetime`
 * this is a failed verification (counted in `verificationFailures`).
 */
export interface PoolReplaceFailedEvent extends PoolIdentity {
  reason: ReplaceReason;
  current: string;
  error: WorkspacePoolError | Error;
}
/**
 * A pool opened on another server than the one it tried first, because that one refused logins
 * or died: `inFlight` leases were still held on the pool it replaced (their work fails there and
 * is never retried on `to`).
 */
export interface PoolFailoverEvent extends PoolIdentity {
  from: ServerRef;
  to: ServerRef;
  inFlight: number;
}
export interface PoolErrorEvent extends Partial<PoolIdentity> {
  /** An error the driver emitted (or a close that failed); already handled, reported for logging. */
  error: unknown;
}

/**
 * Runs once per new pool, after its first login and before any caller is handed the pool (e.g. a
 * schema version check on connect). `pool` is the driver's own pool, as a lease exposes it.
 */
export type PoolCreateHook = (event: PoolCreatedEvent, pool: NativePools[DatabaseType]) => Promise<void> | void;

export interface PoolEventMap {
  create: [PoolCreatedEvent];
  evict: [PoolEvictedEvent];
  unhealthy: [PoolUnhealthyEvent];
  recover: [PoolRecoveredEvent];
  replace: [PoolReplacedEvent];
  replaceFailed: [PoolReplaceFailedEvent];
  failover: [PoolFailoverEvent];
  error: [PoolErrorEvent];
}

export interface PoolStats extends PoolIdentity {
  state: PoolState;
  /** The server this pool connects to (`host:port`, or the failover partner / an alternate host). */
  server: ServerRef;
  /** A successor is logging in to take over (changed settings, lifetime renewal, failover). */
  replacing: boolean;
  /** Its logins carry ApplicationIntent=ReadOnly: the connection's read-intent pool. */
  readOnlyIntent: boolean;
  poolSize: number;
  /** Open connections (idle + borrowed + opening). */
  size: number;
  borrowed: number;
  idle: number;
  /** Requests queued inside the driver pool for a connection. */
  waiters: number;
  /** Leases handed out by the manager and not yet released. */
  leases: number;
  errors: number;
  consecutiveFailures: number;
  createdAt: Date;
  lastUsedAt: Date;
  acquire: HistogramSnapshot;
  /** The encryption mode the pool's connections are opened with. */
  encryption: EncryptionMode;
  /** What its latest connection negotiated (days to expiry counted now); null before one is open. */
  tls: ChannelSecurity | null;
}

export interface CircuitStats {
  key: string;
  workspaceId: string;
  connectionId: string;
  failures: number;
  retryAt: Date;
  lastError: string;
}

export interface ManagerCounters {
  poolsCreated: number;
  poolsEvicted: Record<EvictReason, number>;
  createFailures: number;
  acquireHits: number;
  acquireMisses: number;
  acquireTimeouts: number;
  healthChecks: number;
  healthCheckFailures: number;
  recoveries: number;
  circuitOpens: number;
  circuitRejections: number;
  driverErrors: number;
  /** Connections `beforeConnect` refused (no socket opened). */
  connectRefusals: number;
  /** Pools that moved to (or opened on) another server because the one tried first failed. */
  failovers: number;
  /** Logins of new settings checked before callers moved: successors (settings, lifetime) and `verify()`. */
  verifications: number;
  /** Of those, the ones that failed (the old pool kept serving, or the save was refused). */
  verificationFailures: number;
}

export interface ManagerStats {
  pools: PoolStats[];
  circuits: CircuitStats[];
  totals: {
    pools: number;
    /** Pools closed or closing that still hold connections. */
    drainingPools: number;
    connections: number;
    borrowed: number;
    /** Connections reserved under `maxTotalConnections` (sum of cached pools' sizes). */
    reservedConnections: number;
    maxPools: number;
    maxTotalConnections: number;
    /** Callers waiting for room under `maxPools` / `maxTotalConnections`. */
    capacityWaiters: number;
  };
  acquire: HistogramSnapshot;
  counters: ManagerCounters;
}

export interface AcquireOptions {
  /** Overrides `acquireTimeoutMs` for this call. */
  timeoutMs?: number;
}

export interface CloseOptions {
  /** In-flight work gets this long to finish before connections are cut. Default `drainTimeoutMs`. */
  deadlineMs?: number;
}

/** Which pools `invalidate`/`reset` act on: a whole workspace, one connection, or one key. */
export type PoolSelector = string | { workspaceId: string; connectionId?: string };

/** What the metrics collector reads from a manager at scrape time. */
export interface PoolMetricsSource {
  readonly poolCount: number;
  readonly totalConnections: number;
  readonly counters: ManagerCounters;
  stats(): ManagerStats;
}

export function emptyCounters(): ManagerCounters {
  return {
    poolsCreated: 0,
    poolsEvicted: { lru: 0, idle: 0, replaced: 0, invalidated: 0, reset: 0, 'circuit-open': 0, unreachable: 0, refused: 0, close: 0, expired: 0, failover: 0 },
    createFailures: 0,
    acquireHits: 0,
    acquireMisses: 0,
    acquireTimeouts: 0,
    healthChecks: 0,
    healthCheckFailures: 0,
    recoveries: 0,
    circuitOpens: 0,
    circuitRejections: 0,
    driverErrors: 0,
    connectRefusals: 0,
    failovers: 0,
    verifications: 0,
    verificationFailures: 0,
  };
}
