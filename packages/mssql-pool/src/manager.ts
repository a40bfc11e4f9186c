// The pool manager: one cached driver pool per workspace connection. Its parts: entry.ts (one
// pool's bookkeeping), lease.ts (what callers hold), capacity.ts (the caps), circuit.ts (failure
// memory and backoff), events.ts (the public types), metrics.ts (scrape-time collectors).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { BUILT_IN_ADAPTERS } from './adapters/built-in';
import { sleep, withTimeout } from './adapters/timeout';
import type { DriverAdapter, DriverPool, QueryParams, QueryResult } from './adapters/types';
import { Capacity, lruIdle } from './capacity';
import { backoff, Circuits } from './circuit';
import { PoolEntry } from './entry';
import { connectHook, createOnServers } from './servers';
import { markUnhealthy } from './recovery';
import { Successors } from './successors';
import { PoolClosedError, PoolCreateError, PoolLimitError, PoolUnhealthyError } from './errors';
import type { ProbeResult } from './adapters/probe';
import type {
  AcquireOptions,
  CloseOptions,
  EvictReason,
  ManagerCounters,
  ManagerStats,
  NativePools,
  PoolCreatedEvent,
  PoolCreateHook,
  PoolEventMap,
  PoolSelector,
  PoolUnhealthyEvent,
} from './events';
import { emptyCounters } from './events';
import { Histogram } from './histogram';
import { PoolLease } from './lease';
import { registerPoolMetrics, type MetricsOptions } from './metrics';
import { resolveManagerOptions, type ResolvedManagerOptions, type WorkspacePoolManagerOptions } from './options';
import { verifyTarget, type ProbeOptions, type ProbeTarget } from './probe';
import { poolKeyOf, resolveTarget, sameSettings, selectorMatcher, slotOf, snapshotOf, type ConnectionTarget, type DatabaseType, type ResolvedTarget, type TargetSnapshot } from './target';

type ResolvedOptions = ResolvedManagerOptions;

/**
 * One cached driver pool per (workspace, connection, settings fingerprint), shared by every caller.
 * Hold one manager per process (like a `pg.Pool`), pass it through the API context, and
 * `await manager.close()` on shutdown.
 */
export class WorkspacePoolManager extends EventEmitter<PoolEventMap> {
  readonly #options: ResolvedOptions;
  readonly #adapters: Record<DatabaseType, DriverAdapter>;
  /** Random per manager: fingerprints cannot be compared across processes or brute-forced. */
  readonly #hmacKey = randomBytes(32);
  /** workspaceId → slot (connectionId, or its read-intent slot) → current pool. Two lookups beat building a key string per call. */
  readonly #slots = new Map<string, Map<string, PoolEntry>>();
  /** Pools no longer handed out that still hold connections. */
  readonly #retiring = new Set<PoolEntry>();
  readonly #circuits = new Circuits();
  readonly #capacity: Capacity;
  readonly #histogram = new Histogram();
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #reportedErrors = new WeakSet<object>();
  readonly #createHooks = new Set<PoolCreateHook>();
  readonly #successors: Successors;
  /** `emit` for the parts that report through the manager (their payloads are typed by event). */
  readonly #emitter = (event: keyof PoolEventMap, payload: unknown): void => void (this.emit as (event: string, payload: unknown) => boolean)(event, payload);
  #seq = 0;
  #closing: Promise<void> | undefined;
  readonly #counters: ManagerCounters = emptyCounters();

  constructor(options: WorkspacePoolManagerOptions = {}) {
    super();
    this.#options = resolveManagerOptions(options);
    this.#adapters = { ...BUILT_IN_ADAPTERS, ...this.#options.adapters };
    this.#capacity = new Capacity(this.#options, {
      isClosed: () => this.closed,
      releasing: () => {
        let releasing = 0;
        for (const retiring of this.#retiring) if (retiring.reserved) releasing += retiring.target.poolSize;
        return releasing;
      },
      evictIdle: (except) => {
        const victim = lruIdle(this.#activeEntries(), except);
        if (victim !== undefined) void this.#retire(victim, 'lru');
        return victim !== undefined;
      },
      timedOut: () => {
        this.#counters.acquireTimeouts++;
      },
    });
    this.#successors = new Successors({
      options: this.#options,
      counters: this.#counters,
      circuits: this.#circuits,
      isClosed: () => this.closed,
      newEntry: (key, resolved, snapshot) => this.#newEntry(key, resolved, snapshot),
      open: (entry, breaker) => this.#open(entry, breaker),
      retire: (entry, reason, drainMs, waitForLeases) => this.#retire(entry, reason, drainMs, waitForLeases),
      install: (current, successor) => {
        const byConnection = this.#slots.get(current.workspaceId);
        if (byConnection?.get(current.slot) !== current) return false;
        byConnection.set(current.slot, successor);
        return true;
      },
      emit: this.#emitter,
    });
    this.#sweepTimer = setInterval(() => this.sweep(), this.#options.sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  /** The effective options (defaults applied). */
  get options(): Readonly<Omit<ResolvedOptions, 'adapters' | 'random' | 'beforeConnect'>> {
    const { adapters: _adapters, random: _random, beforeConnect: _beforeConnect, ...rest } = this.#options;
    return rest;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Cached pools (not counting ones that are draining). */
  get poolCount(): number {
    return this.#capacity.activePools;
  }

  /** Connections open across all pools, draining ones included. */
  get totalConnections(): number {
    let total = 0;
    for (const entry of this.#entries()) total += entry.driver?.size ?? 0;
    return total;
  }

  get counters(): ManagerCounters {
    return { ...this.#counters, poolsEvicted: { ...this.#counters.poolsEvicted } };
  }

  /**
   * Registers `hook` to run once for every pool created from now on, after its login and before
   * callers get it; they wait for it. A hook that throws never fails the creation: the error is
   * counted as a driver error and re-emitted as an `error` event. Returns an unregister function.
   */
  onPoolCreated(hook: PoolCreateHook): () => void {
    this.#createHooks.add(hook);
    return () => {
      this.#createHooks.delete(hook);
    };
  }

  /** The cache key for a target: `${workspaceId}:${connectionId}:${fingerprint}`. Validates it. */
  keyOf(target: ConnectionTarget): string {
    return poolKeyOf(this.#resolve(target), this.#hmacKey);
  }

  /**
   * Lease the pool for `target`, creating it on first use (one login probe, shared by every
   * concurrent caller). A pool used within `healthCheckBypassMs` is handed out with no I/O;
   * otherwise one `SELECT 1` checks it first. Rejects with `PoolLimitError`, `CircuitOpenError`,
   * `PoolCreateError`, `PoolUnhealthyError`, `PoolClosedError` or `PoolOptionsError`.
   */
  acquire<T extends ConnectionTarget>(target: T, options?: AcquireOptions): Promise<PoolLease<T['type']>> {
    const entry = this.#slots.get(target.workspaceId)?.get(slotOf(target));
    if (entry !== undefined && entry.state === 'ready' && sameSettings(entry.snapshot, target)) {
      const now = performance.now();
      if (now - entry.lastUsedAt <= this.#options.healthCheckBypassMs || entry.busy) {
        return Promise.resolve(this.#lease(entry, now) as PoolLease<T['type']>);
      }
    }
    return this.#acquireSlow(target, options) as Promise<PoolLease<T['type']>>;
  }

  /** Lease, run `fn`, release (passing on any error `fn` threw, so a lost connection is noticed). */
  async withConnection<T extends ConnectionTarget, R>(
    target: T,
    fn: (lease: PoolLease<T['type']>) => Promise<R> | R,
    options?: AcquireOptions,
  ): Promise<R> {
    const lease = await this.acquire(target, options);
    try {
      const result = await fn(lease);
      lease.release();
      return result;
    } catch (error) {
      lease.release(error);
      throw lease._failureOf(error);
    }
  }

  /** Run one driver-neutral query on the target's pool. */
  async query<Row = Record<string, unknown>>(target: ConnectionTarget, sql: string, params?: QueryParams, options?: AcquireOptions): Promise<QueryResult<Row>> {
    const lease = await this.acquire(target, options);
    try {
      return await lease.query<Row>(sql, params);
    } finally {
      lease.release();
    }
  }

  /**
   * The connection's settings changed (or it was deleted): later callers get a new pool, the
   * current one finishes its in-flight work (up to `drainTimeoutMs`) and closes.
   * Resolves when the old pools have closed.
   */
  invalidate(selector: PoolSelector | ConnectionTarget): Promise<void> {
    return this.#retireMatching(selector, 'invalidated', false);
  }

  /**
   * A connection's settings may have changed (a save): its pools with no work in flight close now;
   * busy ones serve on, and callers' targets show what changed (see `acquire`).
   */
  async refresh(selector: PoolSelector | ConnectionTarget): Promise<void> {
    const matches = selectorMatcher(selector);
    const closing: Array<Promise<void>> = [];
    for (const entry of [...this.#activeEntries()]) {
      if (matches(entry) && !(entry.state === 'ready' && entry.busy)) closing.push(this.#retire(entry, 'invalidated'));
    }
    await Promise.all(closing);
  }

  /**
   * Operator "reset pool": like `invalidate`, and also forgets failure history, closing an open
   * circuit so the next caller probes at once.
   */
  reset(selector: PoolSelector | ConnectionTarget): Promise<void> {
    return this.#retireMatching(selector, 'reset', true);
  }

  /**
   * Check settings before anyone depends on them (a save): one login through the adapter the pools
   * use, connecting where `beforeConnect` says unless `addressOf` is given. Nothing is cached; a
   * failure counts in `verificationFailures` and rejects with `ProbeError` (`errorCode` 18456, …).
   */
  verify(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
    return verifyTarget(target, options, { adapters: this.#adapters, beforeConnect: this.#options.beforeConnect, counters: this.#counters });
  }

  /** Close pools unused for their idle timeout (the target's, else `idleTimeoutMs`); runs on a timer, exposed for tests and operators. */
  sweep(): void {
    if (this.closed) return;
    const now = performance.now();
    for (const entry of this.#activeEntries()) this.#sweepEntry(entry, now);
    this.#circuits.sweep(this.#options.idleTimeoutMs);
  }

  #sweepEntry(entry: PoolEntry, now: number): void {
    const idleTimeoutMs = entry.target.idleTimeoutMs ?? this.#options.idleTimeoutMs;
    if ((entry.state === 'ready' || entry.state === 'unhealthy') && !entry.busy && now - entry.lastUsedAt >= idleTimeoutMs) {
      void this.#retire(entry, 'idle');
    }
  }

  /** A target idle timeout shorter than the sweep period gets its own check, so it holds to within half of it. */
  #watchIdle(entry: PoolEntry): void {
    const idleTimeoutMs = entry.target.idleTimeoutMs;
    if (idleTimeoutMs === undefined || idleTimeoutMs >= this.#options.sweepIntervalMs) return;
    entry.idleTimer = setInterval(() => this.#sweepEntry(entry, performance.now()), Math.max(100, Math.ceil(idleTimeoutMs / 2)));
    entry.idleTimer.unref();
  }

  stats(): ManagerStats {
    const pools = [...this.#entries()].map((entry) => entry.stats());
    const { maxPools, maxTotalConnections } = this.#options;
    const capacity = { pools: this.#capacity.activePools, reservedConnections: this.#capacity.reservedConnections, capacityWaiters: this.#capacity.waiters };
    const connections = pools.reduce((sum, pool) => sum + pool.size, 0);
    const borrowed = pools.reduce((sum, pool) => sum + pool.borrowed, 0);
    const totals = { ...capacity, drainingPools: this.#retiring.size, connections, borrowed, maxPools, maxTotalConnections };
    return { pools, circuits: this.#circuits.stats(), totals, acquire: this.#histogram.snapshot(), counters: this.counters };
  }

  /**
   * Expose this manager's counters, gauges and acquire histogram on a prom-client `registry`
   * (computed at scrape time). Returns a function that unregisters them.
   */
  registerMetrics(registry: Registry, options?: MetricsOptions): () => void {
    return registerPoolMetrics(this, registry, options);
  }

  /**
   * Stop handing out pools, let in-flight work finish until `deadlineMs`, then cut what is left.
   * Idempotent: later calls return the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#closeAll(options.deadlineMs ?? this.#options.drainTimeoutMs);
    return this.#closing;
  }

  // ---- internals -------------------------------------------------------------------------

  /** @internal Called by `PoolLease.release`. */
  _release(entry: PoolEntry): void {
    entry.leases--;
    entry.lastUsedAt = performance.now();
    if (entry.leases === 0) {
      if (entry.idleWaiters.length > 0) {
        const waiters = entry.idleWaiters;
        entry.idleWaiters = [];
        for (const wake of waiters) wake();
      }
      if (this.#capacity.waiters > 0) this.#capacity.wake();
    }
  }

  /** @internal A query on a leased pool failed: a lost connection marks the pool unhealthy. */
  _reportTrafficError(entry: PoolEntry, error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.#reportedErrors.has(error)) return;
      this.#reportedErrors.add(error);
    }
    if (entry.refusal !== undefined) {
      this.#retireRefused(entry);
      return;
    }
    const info = this.#adapters[entry.type].classify(error);
    if (!info.connectionLost) return;
    entry.errors++;
    if (entry.state === 'ready') this.#markUnhealthy(entry, error, 'traffic');
  }

  /** Hand out a lease; `started` (a miss) records how long the caller waited, a hit records 0. */
  #lease(entry: PoolEntry, now: number, started?: number): PoolLease {
    entry.leases++;
    entry.lastUsedAt = now;
    entry.lastUsedSeq = ++this.#seq;
    if (started === undefined) {
      entry.histogram.recordHit();
      this.#histogram.recordHit();
      this.#counters.acquireHits++;
    } else {
      entry.histogram.record(now - started);
      this.#histogram.record(now - started);
      this.#counters.acquireMisses++;
    }
    return new PoolLease(this, entry);
  }

  async #acquireSlow(target: ConnectionTarget, options: AcquireOptions | undefined): Promise<PoolLease> {
    const started = performance.now();
    const timeoutMs = options?.timeoutMs ?? this.#options.acquireTimeoutMs;
    const deadline = started + timeoutMs;
    let created = false;
    for (;;) {
      if (this.closed) throw new PoolClosedError();
      let entry = this.#slots.get(target.workspaceId)?.get(slotOf(target));
      if (entry !== undefined && !sameSettings(entry.snapshot, target) && !this.#successors.servesInstead(entry, target)) {
        const resolved = this.#resolve(target);
        const key = poolKeyOf(resolved, this.#hmacKey);
        if (key === entry.key) {
          // Same settings spelled differently (an explicit default port, say).
          entry.snapshot = snapshotOf(target, resolved.password);
        } else if (entry.state === 'ready') {
          // New settings are proved by their own login before any caller moves; this pool serves meanwhile.
          this.#successors.replaceBehind(entry, key, resolved, snapshotOf(target, resolved.password), 'settings', 0);
        } else {
          void this.#retire(entry, 'replaced');
          entry = undefined;
        }
      }
      if (entry === undefined) {
        entry = this.#startPool(target);
        created = true;
      }

      switch (entry.state) {
        case 'connecting':
          await this.#waitFor(entry, entry.ready, deadline, timeoutMs);
          continue;
        case 'unhealthy':
          await this.#waitFor(entry, entry.recovery ?? Promise.resolve(), deadline, timeoutMs);
          continue;
        case 'ready': {
          const now = performance.now();
          if (!created && now - entry.lastUsedAt > this.#options.healthCheckBypassMs && !entry.busy) {
            await this.#waitFor(entry, this.#check(entry), deadline, timeoutMs);
            if (entry.refusal !== undefined) throw entry.refusal;
            if (entry.state !== 'ready') continue;
          }
          return this.#lease(entry, performance.now(), started);
        }
        case 'draining':
        case 'closed':
          // Raced with eviction between lookup and use: look again.
          continue;
      }
    }
  }

  /** Await `promise` (a creation, check or recovery shared with other callers) until `deadline`. */
  async #waitFor(entry: PoolEntry, promise: Promise<void>, deadline: number, timeoutMs: number): Promise<void> {
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw this.#timeoutError(entry, timeoutMs);
    await withTimeout(promise, remaining, () => this.#timeoutError(entry, timeoutMs));
  }

  #timeoutError(entry: PoolEntry, timeoutMs: number): Error {
    this.#counters.acquireTimeouts++;
    if (entry.state === 'connecting' && !entry.reserved) {
      return new PoolLimitError(
        this.#capacity.activePools >= this.#options.maxPools ? 'maxPools' : 'maxTotalConnections',
        `timed out after ${timeoutMs} ms waiting for room for pool ${entry.key}: every cached pool has work in flight`,
        timeoutMs,
      );
    }
    return new PoolUnhealthyError(entry.key, timeoutMs, entry.lastError ?? `pool still ${entry.state}`);
  }

  #resolve(target: ConnectionTarget): ResolvedTarget {
    return resolveTarget(target, {
      poolSize: this.#options.defaultPoolSize,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      requestTimeoutMs: this.#options.requestTimeoutMs,
    });
  }

  /** Register a new pool for `target` synchronously (so concurrent callers find it) and start opening it. */
  #startPool(target: ConnectionTarget): PoolEntry {
    const resolved = this.#resolve(target);
    const key = poolKeyOf(resolved, this.#hmacKey);
    let breaker: { failures: number } | undefined;
    try {
      breaker = this.#circuits.admit(key);
    } catch (error) {
      this.#counters.circuitRejections++;
      throw error;
    }
    const entry = this.#newEntry(key, resolved, snapshotOf(target, resolved.password));
    let byConnection = this.#slots.get(entry.workspaceId);
    if (byConnection === undefined) {
      byConnection = new Map();
      this.#slots.set(entry.workspaceId, byConnection);
    }
    byConnection.set(entry.slot, entry);
    entry.ready = this.#open(entry, breaker);
    // Callers that timed out no longer await this; the failure is reported through events.
    entry.ready.catch(() => undefined);
    return entry;
  }

  async #open(entry: PoolEntry, breaker: { failures: number } | undefined): Promise<void> {
    const started = performance.now();
    const adapter = this.#adapters[entry.type];
    try {
      await this.#capacity.reserve(entry, started + this.#options.acquireTimeoutMs);
    } catch (error) {
      // Retired while waiting for room: callers look again and find the replacement.
      if (entry.state !== 'connecting') return;
      this.#forget(entry);
      entry.state = 'closed';
      throw error;
    }
    let attempts = 0;
    const priorFailures = breaker?.failures ?? 0;
    for (;;) {
      attempts++;
      try {
        const { connectionIdleTimeoutMs, acquireTimeoutMs, validateConnection } = this.#options;
        const driver = await createOnServers(entry, adapter, { connectionIdleTimeoutMs, acquireTimeoutMs, validateConnection }, {
          onError: (error) => this.#onDriverError(entry, error),
          addressOf: entry.addressOf,
        });
        entry.driver = driver;
        if (entry.state !== 'connecting') {
          // Retired (invalidated, manager closed) while the login was in flight.
          return;
        }
        if (this.#createHooks.size > 0) {
          await this.#runCreateHooks(entry, driver, performance.now() - started, attempts);
          if (entry.state !== 'connecting') return;
        }
        entry.state = 'ready';
        entry.consecutiveFailures = 0;
        entry.lastUsedAt = performance.now();
        this.#watchIdle(entry);
        this.#successors.armLifetime(entry);
        this.#counters.poolsCreated++;
        this.emit('create', { ...entry.identity(), poolSize: entry.target.poolSize, durationMs: performance.now() - started, attempts });
        // A successor's move is told when it takes over; a new pool's here.
        if (entry.replaces === undefined && entry.server !== entry.firstServer) this.#successors.failedOver(entry, entry.firstServer, 0);
        if (this.#circuits.close(entry.key) || attempts > 1) {
          this.#counters.recoveries++;
          this.emit('recover', { ...entry.identity(), attempts: attempts - 1 + priorFailures, downtimeMs: performance.now() - started });
        }
        return;
      } catch (cause) {
        if (entry.refusal !== undefined) {
          // Refused before any socket: not a failure of the server, so no retry and no circuit.
          this.#forget(entry);
          if (entry.state === 'connecting') entry.state = 'closed';
          this.#capacity.release(entry);
          throw entry.refusal;
        }
        const error = cause instanceof PoolCreateError ? cause : new PoolCreateError(entry.key, entry.type, adapter.classify(cause), cause);
        this.#counters.createFailures++;
        entry.errors++;
        entry.consecutiveFailures = priorFailures + attempts;
        entry.lastError = error;
        if (entry.state !== 'connecting') return;
        const failures = entry.consecutiveFailures;
        // A half-open probe gets one attempt; otherwise the call retries up to the threshold, and
        // however many attempts it took, it is one failed call for the circuit.
        const probe = priorFailures >= this.#options.failureThreshold;
        if (!error.transient || probe || attempts >= this.#options.failureThreshold) {
          this.#callFailed(entry, error, 'create');
          this.#forget(entry);
          entry.state = 'closed';
          this.#capacity.release(entry);
          // The first callers get the driver's own failure (with its number); later ones fail fast.
          throw error;
        }
        const { delay, ceiling } = this.#backoff(failures);
        this.emit('unhealthy', { ...entry.identity(), phase: 'create', error, consecutiveFailures: failures, retryInMs: delay, ceilingMs: ceiling, circuitOpen: false });
        await sleep(delay, entry.abort.signal);
        if (entry.state !== 'connecting') return;
      }
    }
  }

  /** A pool entry, not registered yet, with the hook its driver calls before each connection. */
  #newEntry(key: string, resolved: ResolvedTarget, snapshot: TargetSnapshot): PoolEntry {
    const entry = new PoolEntry(key, resolved, snapshot);
    entry.addressOf = connectHook(entry, this.#options.beforeConnect, this.#counters);
    entry.lastUsedSeq = ++this.#seq;
    return entry;
  }

  /** A pool whose connections are now refused is closed; its leases finish (or fail) meanwhile. */
  #retireRefused(entry: PoolEntry): void {
    if (entry.state !== 'draining' && entry.state !== 'closed') void this.#retire(entry, 'refused');
  }

  #backoff(failures: number): { delay: number; ceiling: number } {
    return backoff(failures, this.#options, this.#options.random);
  }

  /** A call (with its retries) failed: counts once toward the circuit; true when it opened. */
  #callFailed(entry: PoolEntry, error: PoolCreateError, phase: PoolUnhealthyEvent['phase']): boolean {
    const { failures, open } = this.#circuits.fail(entry.key, entry, error, !error.transient, this.#options);
    entry.consecutiveFailures = failures;
    if (!open) return false;
    this.#counters.circuitOpens++;
    this.emit('unhealthy', {
      ...entry.identity(),
      phase,
      error,
      consecutiveFailures: failures,
      retryInMs: undefined,
      ceilingMs: undefined,
      circuitOpen: true,
    });
    return true;
  }

  /**
   * Something outside the pool (a connection test) reached the server: forget the failures of the
   * matching pools and close their circuits, so the next caller connects at once.
   */
  reportReachable(selector: PoolSelector | ConnectionTarget): void {
    this.#circuits.forgetMatching(selectorMatcher(selector));
  }

  /** Health check before reuse, shared by concurrent callers. */
  #check(entry: PoolEntry): Promise<void> {
    entry.checking ??= (async () => {
      this.#counters.healthChecks++;
      try {
        // A pool reused after a pause is vetted again: a name that now resolves somewhere refused
        // closes the pool even when the ping would reuse an open connection.
        if (entry.addressOf !== undefined) await entry.addressOf();
        await entry.driver!.ping(this.#options.healthCheckTimeoutMs);
        entry.lastUsedAt = performance.now();
      } catch (error) {
        this.#counters.healthCheckFailures++;
        entry.errors++;
        if (entry.refusal !== undefined) this.#retireRefused(entry);
        else if (entry.state === 'ready') this.#markUnhealthy(entry, error, 'health-check');
      } finally {
        entry.checking = undefined;
      }
    })();
    return entry.checking;
  }

  #markUnhealthy(entry: PoolEntry, cause: unknown, phase: PoolUnhealthyEvent['phase']): void {
    const adapter = this.#adapters[entry.type];
    markUnhealthy(entry, cause, phase, {
      options: this.#options,
      counters: this.#counters,
      classify: (e) => adapter.classify(e),
      backoff: (n) => this.#backoff(n),
      callFailed: (e) => this.#callFailed(entry, e, phase),
      retire: (reason) => (reason === 'refused' ? this.#retireRefused(entry) : void this.#retire(entry, reason, 0)),
      // With another server to go to, a pool fails over at once instead of waiting for its own.
      failover: entry.target.servers.length > 1 ? () => this.#successors.failover(entry) : undefined,
      emit: this.#emitter,
    });
  }

  async #runCreateHooks(entry: PoolEntry, driver: DriverPool, durationMs: number, attempts: number): Promise<void> {
    const event: PoolCreatedEvent = { ...entry.identity(), poolSize: entry.target.poolSize, durationMs, attempts };
    for (const hook of [...this.#createHooks]) {
      try {
        await hook(event, driver.native as NativePools[DatabaseType]);
      } catch (error) {
        this.#onDriverError(entry, error);
      }
    }
  }

  #onDriverError(entry: PoolEntry, error: unknown): void {
    this.#counters.driverErrors++;
    if (this.listenerCount('error') > 0) this.emit('error', { ...entry.identity(), error });
    if (entry.state === 'ready') this._reportTrafficError(entry, error);
  }

  *#activeEntries(): Generator<PoolEntry> {
    for (const byConnection of this.#slots.values()) yield* byConnection.values();
  }

  *#entries(): Generator<PoolEntry> {
    for (const entry of this.#activeEntries()) {
      yield entry;
      if (entry.successor !== undefined) yield entry.successor;
    }
    yield* this.#retiring;
  }

  /** Remove `entry` from the lookup maps if it is still the current pool for its slot. */
  #forget(entry: PoolEntry): void {
    const byConnection = this.#slots.get(entry.workspaceId);
    if (byConnection?.get(entry.slot) === entry) {
      byConnection.delete(entry.slot);
      if (byConnection.size === 0) this.#slots.delete(entry.workspaceId);
    }
  }

  /**
   * Stop handing `entry` out and close it once its leases are back (at most `drainMs`, then cut).
   * The pool-count slot frees at once; its connections count against the cap until closed.
   */
  #retire(entry: PoolEntry, reason: EvictReason, drainMs = this.#options.drainTimeoutMs, waitForLeases = true): Promise<void> {
    if (entry.closed !== undefined) return entry.closed;
    this.#forget(entry);
    clearInterval(entry.idleTimer);
    clearTimeout(entry.lifetimeTimer);
    // Whatever retires a pool (reset, invalidation, close) also drops the one logging in to replace it.
    const successor = entry.successor;
    entry.successor = undefined;
    if (successor !== undefined) void this.#retire(successor, reason, drainMs, waitForLeases);
    const wasConnecting = entry.state === 'connecting';
    entry.state = 'draining';
    entry.abort.abort();
    this.#capacity.releaseSlot(entry);
    this.#retiring.add(entry);
    const deadline = performance.now() + drainMs;
    entry.closed = (async () => {
      if (wasConnecting) await entry.ready.catch(() => undefined);
      const driver = entry.driver;
      await entry.drain(
        deadline,
        drainMs,
        (error) => {
          if (this.listenerCount('error') > 0) this.emit('error', { ...entry.identity(), error });
        },
        waitForLeases,
      );
      entry.state = 'closed';
      this.#retiring.delete(entry);
      this.#capacity.release(entry);
      if (driver !== undefined) {
        this.#counters.poolsEvicted[reason]++;
        this.emit('evict', { ...entry.identity(), reason });
      }
    })();
    return entry.closed;
  }

  async #retireMatching(selector: PoolSelector | ConnectionTarget, reason: EvictReason, forgetFailures: boolean): Promise<void> {
    const matches = selectorMatcher(selector);
    const closing: Array<Promise<void>> = [];
    for (const entry of [...this.#activeEntries()]) {
      if (matches(entry)) closing.push(this.#retire(entry, reason));
    }
    for (const entry of this.#retiring) {
      if (matches(entry) && entry.closed) closing.push(entry.closed);
    }
    if (forgetFailures) this.#circuits.forgetMatching(matches);
    await Promise.all(closing);
  }

  async #closeAll(deadlineMs: number): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#capacity.wake();
    const closing: Array<Promise<void>> = [];
    for (const entry of [...this.#activeEntries()]) closing.push(this.#retire(entry, 'close', deadlineMs));
    for (const entry of this.#retiring) if (entry.closed) closing.push(entry.closed);
    await Promise.all(closing);
    this.#circuits.clear();
  }
}
