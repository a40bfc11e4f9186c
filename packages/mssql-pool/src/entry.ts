// One cached pool's bookkeeping: identity, state, driver pool, leases and failure counts.
import { performance } from 'node:perf_hooks';
import { withTimeout } from './adapters/timeout';
import type { DriverPool } from './adapters/types';
import { ServerLostError, type ConnectRefusedError } from './errors';
import type { PoolIdentity, PoolState, PoolStats, ReplaceReason } from './events';
import { Histogram } from './histogram';
import { serverTarget, slotOf, type DatabaseType, type ResolvedTarget, type TargetSnapshot } from './target';
import { refreshedTls } from './tls';

/** What a lease needs from its manager: give the pool back, report a failed query. */
export interface LeaseHost {
  _release(entry: PoolEntry): void;
  _reportTrafficError(entry: PoolEntry, error: unknown): void;
}

export class PoolEntry implements PoolIdentity {
  readonly key: string;
  readonly workspaceId: string;
  readonly connectionId: string;
  /** Where the manager keeps it: the connection id, or its read-intent slot (a pool of its own). */
  readonly slot: string;
  readonly type: DatabaseType;
  readonly target: ResolvedTarget;
  snapshot: TargetSnapshot;
  state: PoolState = 'connecting';
  driver: DriverPool | undefined;
  ready: Promise<void> = Promise.resolve();
  recovery: Promise<void> | undefined;
  checking: Promise<void> | undefined;
  closed: Promise<void> | undefined;
  leases = 0;
  lastUsedAt = performance.now();
  lastUsedSeq = 0;
  readonly createdAt = Date.now();
  errors = 0;
  consecutiveFailures = 0;
  lastError: unknown = undefined;
  reserved = false;
  /** Its pool-count slot was given back when it started retiring; connections are still reserved. */
  slotReleased = false;
  readonly abort = new AbortController();
  readonly histogram = new Histogram();
  /** Resolvers waiting for `leases` to reach 0 (drain). */
  idleWaiters: Array<() => void> = [];
  /** Asks `beforeConnect` where to connect; undefined without one. */
  addressOf: (() => Promise<string>) | undefined;
  /** Set once `beforeConnect` refused a connection of this pool: it is closed, callers get this. */
  refusal: ConnectRefusedError | undefined;
  /** Its own idle check, for a target idle timeout shorter than the manager's sweep period. */
  idleTimer: NodeJS.Timeout | undefined;
  /** Index into `target.servers` of the server this pool connects to (0 = `host:port`). */
  server = 0;
  /** The server its first login tried; `server` differs when that one failed. */
  firstServer = 0;
  /** Set on a successor: the pool it is logging in to replace, and why. */
  replaces: PoolEntry | undefined;
  replaceReason: ReplaceReason | undefined;
  /** The pool logging in to take over from this one; this one serves until it is ready. */
  successor: PoolEntry | undefined;
  /** The settings this pool just replaced: callers still presenting them are served here until `until`. */
  superseded: { snapshot: TargetSnapshot; until: number } | undefined;
  /** Settings whose successor failed lately: callers presenting them are served here until `until`. */
  rejected: { snapshot: TargetSnapshot; until: number } | undefined;
  /** Set once its server was found dead and the pool fails over: its calls' failures say so. */
  lostServer: { host: string; port: number } | undefined;
  /** Fires when the pool has lived its (jittered) lifetime. */
  lifetimeTimer: NodeJS.Timeout | undefined;

  constructor(key: string, target: ResolvedTarget, snapshot: TargetSnapshot) {
    this.key = key;
    this.workspaceId = target.workspaceId;
    this.connectionId = target.connectionId;
    this.slot = slotOf(target);
    this.type = target.type;
    this.target = target;
    this.snapshot = snapshot;
  }

  identity(): PoolIdentity {
    return { key: this.key, workspaceId: this.workspaceId, connectionId: this.connectionId, type: this.type };
  }

  /** The target as the driver connects it: `host`/`port` are those of the current server. */
  get serverTarget(): ResolvedTarget {
    return serverTarget(this.target, this.server);
  }

  get serverRef(): { host: string; port: number } {
    const { host, port } = this.serverTarget;
    return { host, port };
  }

  /** What a caller of this pool gets for `error`: the refusal, the lost server, or the error itself. */
  failureOf(error: unknown): unknown {
    if (this.refusal !== undefined) return this.refusal;
    if (this.lostServer !== undefined && !(error instanceof ServerLostError)) return new ServerLostError(this.key, this.lostServer, error);
    return error;
  }

  /** Work in flight: never evicted or swept in this state. */
  get busy(): boolean {
    const d = this.driver;
    return this.leases > 0 || (d !== undefined && (d.borrowed > 0 || d.waiters > 0));
  }

  stats(): PoolStats {
    const d = this.driver;
    return {
      ...this.identity(),
      state: this.state,
      server: this.serverRef,
      readOnlyIntent: this.target.readOnlyIntent,
      replacing: this.successor !== undefined,
      poolSize: this.target.poolSize,
      size: d?.size ?? 0,
      borrowed: d?.borrowed ?? 0,
      idle: d?.idle ?? 0,
      waiters: d?.waiters ?? 0,
      leases: this.leases,
      errors: this.errors,
      consecutiveFailures: this.consecutiveFailures,
      createdAt: new Date(this.createdAt),
      lastUsedAt: new Date(Date.now() - (performance.now() - this.lastUsedAt)),
      acquire: this.histogram.snapshot(),
      encryption: this.target.tls.mode,
      tls: d?.tls === undefined ? null : refreshedTls(d.tls),
    };
  }

  /**
   * Close the driver pool once its leases are back (at most until `deadline`), gracefully if time
   * is left, else cut its connections. A failed forced close goes to `onError`. Without
   * `waitForLeases` (a dead server) the close starts at once: work still running finishes or fails
   * on its own, callers waiting for a connection are refused.
   */
  async drain(deadline: number, drainMs: number, onError: (error: unknown) => void, waitForLeases = true): Promise<void> {
    if (waitForLeases) await this.#waitForLeases(deadline);
    const driver = this.driver;
    if (driver === undefined) return;
    const remaining = Math.max(0, deadline - performance.now());
    try {
      if (remaining <= 0) throw new Error('drain deadline passed');
      await withTimeout(driver.close(), remaining, () => new Error(`drain of ${this.key} timed out after ${drainMs} ms`));
    } catch {
      try {
        await withTimeout(driver.destroy(), 10_000, () => new Error(`forced close of ${this.key} timed out`));
      } catch (error) {
        onError(error);
      }
    }
  }

  #waitForLeases(deadline: number): Promise<void> {
    if (this.leases === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, deadline - performance.now()));
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }
}
