export {
  WorkspacePoolManager,
  PoolLease,
  type AcquireOptions,
  type CloseOptions,
  type CircuitStats,
  type EvictReason,
  type ManagerCounters,
  type ManagerStats,
  type NativePools,
  type PoolCreatedEvent,
  type PoolCreateHook,
  type PoolErrorEvent,
  type PoolEventMap,
  type PoolEvictedEvent,
  type PoolRecoveredEvent,
  type PoolSelector,
  type PoolState,
  type PoolStats,
  type PoolUnhealthyEvent,
} from './manager';
export type { BeforeConnect, ConnectRequest, WorkspacePoolManagerOptions } from './options';
export type { ConnectionTarget, ConnectionTargetOf, ConnectionTargetOptions, DatabaseType } from './target';
export {
  WorkspacePoolError,
  PoolOptionsError,
  PoolLimitError,
  PoolCreateError,
  CircuitOpenError,
  ConnectRefusedError,
  PoolUnhealthyError,
  PoolClosedError,
  type DriverErrorInfo,
  type PoolErrorCode,
  type PoolLimit,
} from './errors';
export type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings, QueryParams, QueryResult } from './adapters/types';
export { connectSocket } from './adapters/socket';
export { mssqlAdapter } from './adapters/mssql';
export { postgresAdapter } from './adapters/postgres';
export { mysqlAdapter } from './adapters/mysql';
export { registerPoolMetrics, type MetricsOptions } from './metrics';
export { ACQUIRE_BUCKETS_MS, type HistogramSnapshot } from './histogram';
