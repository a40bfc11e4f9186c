// Successors: a pool that logs in to take over from the current pool of a connection. Changed
// settings and lifetime renewals log in while the current pool keeps serving, so callers move only
// to settings that work (a failed login leaves the current pool serving); a failover logs in on
// another server while the callers of a pool whose server died wait for it.
import { performance } from 'node:perf_hooks';
import type { Circuits } from './circuit';
import type { PoolEntry } from './entry';
import { CircuitOpenError } from './errors';
import type { EvictReason, ManagerCounters, PoolEventMap, ReplaceReason } from './events';
import type { ResolvedManagerOptions } from './options';
import { failoverServer, renewalServer } from './servers';
import { sameSettings, type ConnectionTarget, type ResolvedTarget, type TargetSnapshot } from './target';

/**
 * How long a caller presenting the settings a pool just replaced keeps being served by the new
 * pool: a caller that read the registry just before a save would otherwise log the old settings in
 * again (a needless login, a swap back, or a false verification failure if the old password is gone).
 */
const SUPERSEDED_MS = 2_000;

/** What successors need of their manager. */
export interface SuccessorHost {
  readonly options: ResolvedManagerOptions;
  /** The manager's live counters. */
  readonly counters: ManagerCounters;
  readonly circuits: Circuits;
  isClosed(): boolean;
  /** A pool entry for these settings, not yet registered anywhere. */
  newEntry(key: string, resolved: ResolvedTarget, snapshot: TargetSnapshot): PoolEntry;
  /** Log it in (with the manager's retries and circuit); resolves once ready, or retired. */
  open(entry: PoolEntry, breaker: { failures: number } | undefined): Promise<void>;
  retire(entry: PoolEntry, reason: EvictReason, drainMs?: number, waitForLeases?: boolean): Promise<void>;
  /** Make `successor` its connection's pool in place of `current`; false when `current` no longer is. */
  install(current: PoolEntry, successor: PoolEntry): boolean;
  emit<K extends keyof PoolEventMap>(event: K, payload: PoolEventMap[K][0]): void;
}

export class Successors {
  constructor(private readonly host: SuccessorHost) {}

  /** Callers presenting settings whose login is running, or failed lately, keep `entry`. */
  servesInstead(entry: PoolEntry, target: ConnectionTarget): boolean {
    if (entry.state !== 'ready') return false;
    const successor = entry.successor;
    if (successor !== undefined && successor.replaceReason === 'settings' && sameSettings(successor.snapshot, target)) return true;
    const superseded = entry.superseded;
    if (superseded !== undefined && superseded.until > Date.now() && sameSettings(superseded.snapshot, target)) return true;
    const rejected = entry.rejected;
    if (rejected === undefined) return false;
    if (rejected.until > Date.now()) return sameSettings(rejected.snapshot, target);
    entry.rejected = undefined;
    return false;
  }

  /**
   * Start `current`'s successor (settings `key`, first trying server `server`); `current` keeps
   * its callers until the successor is in. One already logging in for other settings is dropped:
   * the newest settings win. Settings whose circuit is open are not tried again before it lets a
   * probe through. Returns the successor, or undefined when none was started.
   */
  replaceBehind(current: PoolEntry, key: string, resolved: ResolvedTarget, snapshot: TargetSnapshot, reason: ReplaceReason, server: number): PoolEntry | undefined {
    const { host } = this;
    const pending = current.successor;
    if (pending !== undefined) {
      if (pending.key === key && pending.replaceReason === reason) return pending;
      current.successor = undefined;
      void host.retire(pending, 'replaced');
    }
    let breaker: { failures: number } | undefined;
    try {
      breaker = host.circuits.admit(key);
    } catch (error) {
      host.counters.circuitRejections++;
      if (reason === 'settings' && error instanceof CircuitOpenError) current.rejected = { snapshot, until: error.retryAt.getTime() };
      return undefined;
    }
    const successor = host.newEntry(key, resolved, snapshot);
    successor.server = server;
    successor.firstServer = server;
    successor.replaces = current;
    successor.replaceReason = reason;
    current.successor = successor;
    if (reason !== 'failover') host.counters.verifications++;
    successor.ready = host.open(successor, breaker).then(
      () => this.#promote(current, successor),
      (error: unknown) => this.#failed(current, successor, error),
    );
    return successor;
  }

  /** Count and tell a pool's move to another server than `from`, which failed. */
  failedOver(entry: PoolEntry, from: number, inFlight: number): void {
    this.host.counters.failovers++;
    const to = entry.serverRef;
    const source = entry.target.servers[from] ?? to;
    this.host.emit('failover', { ...entry.identity(), from: { host: source.host, port: source.port }, to, inFlight });
  }

  /** Start `entry`'s lifetime clock: uniform in [(1 - jitter)·max, max], or `ms` when given. */
  armLifetime(entry: PoolEntry, ms?: number): void {
    const { maxLifetimeMs, maxLifetimeJitter, random } = this.host.options;
    if (maxLifetimeMs === 0) return;
    clearTimeout(entry.lifetimeTimer);
    const lifetime = ms ?? Math.max(1, Math.round(maxLifetimeMs * (1 - maxLifetimeJitter * random())));
    entry.lifetimeTimer = setTimeout(() => this.#expire(entry), lifetime);
    entry.lifetimeTimer.unref();
  }

  /**
   * `entry`'s server failed and it has others: its successor logs in there (or the one already
   * logging in carries on) while callers wait. If no server answers, the pool is closed and its
   * circuit decides when the next caller tries again.
   */
  async failover(entry: PoolEntry): Promise<void> {
    const successor = entry.successor ?? this.replaceBehind(entry, entry.key, entry.target, entry.snapshot, 'failover', failoverServer(entry));
    if (successor !== undefined) await successor.ready;
    if (entry.state === 'unhealthy') {
      const open = this.host.circuits.retryAt(entry.key) > Date.now();
      void this.host.retire(entry, open ? 'circuit-open' : 'unreachable', 0);
    }
  }

  /** The successor logged in: it becomes the connection's pool and `current` drains. */
  #promote(current: PoolEntry, successor: PoolEntry): void {
    const { host } = this;
    if (current.successor === successor) current.successor = undefined;
    if (successor.state !== 'ready') return;
    const reason = successor.replaceReason ?? 'settings';
    successor.replaces = undefined;
    if (!host.install(current, successor)) {
      // The connection moved on meanwhile (an invalidation, another caller): not needed.
      void host.retire(successor, 'replaced');
      return;
    }
    current.rejected = undefined;
    if (reason === 'settings') successor.superseded = { snapshot: current.snapshot, until: Date.now() + SUPERSEDED_MS };
    const from = reason === 'failover' ? current.server : successor.firstServer;
    if (successor.server !== from) this.failedOver(successor, from, current.leases);
    host.emit('replace', { ...successor.identity(), reason, replaced: current.key, server: successor.serverRef });
    if (reason === 'failover') {
      // Its server is gone: close it now. Work still running there fails on its own and is never
      // retried on the new server, since it may have written.
      void host.retire(current, 'failover', host.options.drainTimeoutMs, false);
    } else {
      void host.retire(current, reason === 'lifetime' ? 'expired' : 'replaced');
    }
  }

  /** The successor could not log in: `current` keeps serving (settings, lifetime), or gives up (failover). */
  #failed(current: PoolEntry, successor: PoolEntry, error: unknown): void {
    const { host } = this;
    if (current.successor === successor) current.successor = undefined;
    successor.replaces = undefined;
    const reason = successor.replaceReason ?? 'settings';
    if (reason !== 'failover') {
      host.counters.verificationFailures++;
      if (reason === 'settings') current.rejected = { snapshot: successor.snapshot, until: host.circuits.retryAt(successor.key) };
      else if (current.state === 'ready') this.armLifetime(current, this.#renewRetryMs());
    }
    host.emit('replaceFailed', { ...successor.identity(), reason, current: current.key, error: error instanceof Error ? error : new Error(String(error)) });
  }

  /**
   * `entry` reached its lifetime. In use, it gets a successor with the same settings (a fresh
   * login, a fresh DNS answer) and drains once that one is in; idle, it just closes.
   */
  #expire(entry: PoolEntry): void {
    const { host } = this;
    if (entry.state !== 'ready' || host.isClosed() || entry.successor !== undefined) return;
    if (!entry.busy && performance.now() - entry.lastUsedAt > host.options.healthCheckBypassMs) {
      void host.retire(entry, 'expired');
      return;
    }
    const successor = this.replaceBehind(entry, entry.key, entry.target, entry.snapshot, 'lifetime', renewalServer(entry));
    // Its settings' circuit is still open (a renewal just failed): look again later.
    if (successor === undefined) this.armLifetime(entry, this.#renewRetryMs());
  }

  /** After a failed renewal: a tenth of the lifetime, at least the circuit's longest wait (no account lock-out by retries). */
  #renewRetryMs(): number {
    const { circuitResetMs, maxLifetimeMs } = this.host.options;
    return Math.max(circuitResetMs, Math.round(maxLifetimeMs / 10));
  }
}
