// An unhealthy pool: one with another server to go to fails over at once; one with nowhere else
// to go pings its server with backoff until it answers (the pool recovers) or the failure counts
// against the circuit (the pool is closed).
import { performance } from 'node:perf_hooks';
import { sleep } from './adapters/timeout';
import type { PoolEntry } from './entry';
import { PoolCreateError, type DriverErrorInfo } from './errors';
import type { EvictReason, ManagerCounters, PoolEventMap, PoolUnhealthyEvent } from './events';
import type { ResolvedManagerOptions } from './options';

export interface RecoveryHost {
  readonly options: ResolvedManagerOptions;
  /** The manager's live counters. */
  readonly counters: ManagerCounters;
  classify(error: unknown): DriverErrorInfo;
  backoff(failures: number): { delay: number; ceiling: number };
  /** The recovery failed as one call: counts toward the circuit; true when it opened. */
  callFailed(error: PoolCreateError): boolean;
  retire(reason: EvictReason): void;
  /** Set when the pool has another server: called instead of pinging this one. */
  failover: (() => Promise<void>) | undefined;
  emit<K extends keyof PoolEventMap>(event: K, payload: PoolEventMap[K][0]): void;
}

/** A lost connection or a failed health check: the pool stops serving until it recovers or moves. */
export function markUnhealthy(entry: PoolEntry, cause: unknown, phase: PoolUnhealthyEvent['phase'], host: RecoveryHost): void {
  const since = performance.now();
  entry.state = 'unhealthy';
  const error = cause instanceof PoolCreateError ? cause : new PoolCreateError(entry.key, entry.type, host.classify(cause), cause);
  entry.consecutiveFailures = 1;
  entry.lastError = error;
  const { delay, ceiling } = host.failover === undefined ? host.backoff(1) : { delay: 0, ceiling: 0 };
  host.emit('unhealthy', { ...entry.identity(), phase, error, consecutiveFailures: 1, retryInMs: delay, ceilingMs: ceiling, circuitOpen: false });
  if (host.failover !== undefined) {
    entry.lostServer = entry.serverRef;
    entry.recovery = host.failover();
    return;
  }
  entry.recovery = pingUntilRecovered(entry, { phase, since, delay }, host);
}

/** Pings `entry` after `delay`, then with growing backoff, until it recovers or is given up. */
async function pingUntilRecovered(entry: PoolEntry, start: { phase: PoolUnhealthyEvent['phase']; since: number; delay: number }, host: RecoveryHost): Promise<void> {
  const { phase, since } = start;
  let { delay } = start;
  let failures = 1;
  for (;;) {
    await sleep(delay, entry.abort.signal);
    if (entry.state !== 'unhealthy') return;
    try {
      host.counters.healthChecks++;
      await entry.driver!.ping(host.options.healthCheckTimeoutMs);
      if (entry.state !== 'unhealthy') return;
      entry.state = 'ready';
      entry.consecutiveFailures = 0;
      entry.lastUsedAt = performance.now();
      host.counters.recoveries++;
      host.emit('recover', { ...entry.identity(), attempts: failures, downtimeMs: performance.now() - since });
      return;
    } catch (next) {
      if (entry.state !== 'unhealthy') return;
      if (entry.refusal !== undefined) {
        host.retire('refused');
        return;
      }
      host.counters.healthCheckFailures++;
      failures++;
      entry.errors++;
      const error = next instanceof PoolCreateError ? next : new PoolCreateError(entry.key, entry.type, host.classify(next), next);
      entry.consecutiveFailures = failures;
      entry.lastError = error;
      // The recovery's pings are retries of one failure: after the threshold it counts once.
      if (!error.transient || failures >= host.options.failureThreshold) {
        const open = host.callFailed(error);
        host.retire(open ? 'circuit-open' : 'unreachable');
        return;
      }
      const { delay: wait, ceiling } = host.backoff(failures);
      delay = wait;
      host.emit('unhealthy', { ...entry.identity(), phase, error, consecutiveFailures: failures, retryInMs: wait, ceilingMs: ceiling, circuitOpen: false });
    }
  }
}
