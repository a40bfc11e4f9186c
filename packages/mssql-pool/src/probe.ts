import { BUILT_IN_ADAPTERS } from './adapters/built-in';
import type { ProbeHooks, ProbeResult } from './adapters/probe';
import type { DriverAdapter } from './adapters/types';
import type { DatabaseType } from './database-type';
import { resolveTarget, type ConnectionTarget } from './target';

/** A probe concerns settings, not a cached pool: no workspace or connection id. */
export type ProbeTarget = Omit<ConnectionTarget, 'workspaceId' | 'connectionId'>;

export interface ProbeOptions extends ProbeHooks {
  /** Login and query timeout (each); default 15 s. */
  timeoutMs?: number | undefined;
  /** Replace the built-in adapter of a type, as the manager's `adapters` option does. */
  adapters?: Partial<Record<DatabaseType, DriverAdapter>> | undefined;
}

/**
 * "Test connection" through the driver adapter the pools use: validate the settings like a pool
 * target (PoolOptionsError), then `adapter.probe` them.
 */
export function probeTarget(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? 15_000));
  const resolved = resolveTarget({ ...target, workspaceId: 'probe', connectionId: 'probe' }, { poolSize: 1, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  const adapter = options.adapters?.[resolved.type] ?? BUILT_IN_ADAPTERS[resolved.type];
  return adapter.probe(resolved, { addressOf: options.addressOf, onLogin: options.onLogin, signal: options.signal });
}
