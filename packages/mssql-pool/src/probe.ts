import { BUILT_IN_ADAPTERS } from './adapters/built-in';
import type { ProbeHooks, ProbeResult } from './adapters/probe';
import type { DriverAdapter } from './adapters/types';
import { DEFAULT_PORTS, type DatabaseType } from './database-type';
import type { ManagerCounters } from './events';
import type { BeforeConnect } from './options';
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

/**
 * A manager's `verify()`: `probeTarget` through the manager's adapters, connecting where its
 * `beforeConnect` says (unless the caller vetted an address), counted as a verification. Only
 * `host:port` is tried: the saved host itself must answer.
 */
export async function verifyTarget(
  target: ProbeTarget,
  options: ProbeOptions,
  manager: { adapters: Record<DatabaseType, DriverAdapter>; beforeConnect: BeforeConnect | undefined; counters: ManagerCounters },
): Promise<ProbeResult> {
  manager.counters.verifications++;
  const { beforeConnect } = manager;
  const port = target.port ?? DEFAULT_PORTS[target.type];
  const addressOf =
    options.addressOf ?? (beforeConnect && (() => Promise.resolve(beforeConnect({ workspaceId: 'verify', connectionId: 'verify', type: target.type, host: target.host, port }))));
  try {
    return await probeTarget(target, { ...options, addressOf, adapters: { ...manager.adapters, ...options.adapters } });
  } catch (error) {
    manager.counters.verificationFailures++;
    throw error;
  }
}
