export { WorkspacePoolManager } from './manager';
export { PoolLease } from './lease';
export type {
  AcquireOptions,
  CloseOptions,
  CircuitStats,
  EvictReason,
  ManagerCounters,
  ManagerStats,
  NativePools,
  PoolCreatedEvent,
  PoolCreateHook,
  PoolErrorEvent,
  PoolEventMap,
  PoolEvictedEvent,
  PoolFailoverEvent,
  PoolRecoveredEvent,
  PoolReplacedEvent,
  PoolReplaceFailedEvent,
  PoolSelector,
  PoolState,
  PoolStats,
  PoolUnhealthyEvent,
  ReplaceReason,
  ServerRef,
} from './events';
export type { BeforeConnect, ConnectRequest, WorkspacePoolManagerOptions } from './options';
export type { ConnectionTarget, ConnectionTargetOf, ConnectionTargetOptions, DatabaseType, ServerAddress, TargetSessionAttrs } from './target';
export {
  WorkspacePoolError,
  PoolOptionsError,
  PoolLimitError,
  PoolCreateError,
  CircuitOpenError,
  ConnectRefusedError,
  PoolUnhealthyError,
  PoolClosedError,
  ServerLostError,
  type DriverErrorInfo,
  type PoolErrorCode,
  type PoolLimit,
} from './errors';
export type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings, QueryParams, QueryResult } from './adapters/types';
export { connectSocket } from './adapters/socket';
export { ProbeError, type ProbeHooks, type ProbeLogin, type ProbeResult, type ProbeStep } from './adapters/probe';
export { probeTarget, type ProbeOptions, type ProbeTarget } from './probe';
export { loginReasonOf, type LoginFailureReason } from './login-reasons';
export {
  ENCRYPTION_MODES,
  ALL_ENCRYPTION_MODES,
  CERTIFICATE_WARNING_DAYS,
  daysUntil,
  encryptionModeOf,
  tlsRequirementOf,
  encryptionSettingsProblem,
  negotiatedTlsOf,
  securityViolationOf,
  type EncryptionMode,
  type EncryptionModeOf,
  type EncryptionSettings,
  type EncryptionSettingsProblem,
  type TlsRequirement,
  type NegotiatedTls,
  type CertificateSummary,
  type ChannelSecurity,
  type SecurityViolation,
} from './tls';
export { mssqlAdapter } from './adapters/mssql';
export { postgresAdapter } from './adapters/postgres';
export { mysqlAdapter } from './adapters/mysql';
export { registerPoolMetrics, type MetricsOptions } from './metrics';
export { ACQUIRE_BUCKETS_MS, type HistogramSnapshot } from './histogram';
