// Room under `maxPools` and `maxTotalConnections`, by reservation: each pool reserves its
// `poolSize` while it exists (ADR-003), and a caller with no room evicts an idle pool or waits.
import { performance } from 'node:perf_hooks';
import type { PoolEntry } from './entry';
import { PoolClosedError, PoolLimitError, type PoolLimit } from './errors';

interface CapacityWaiter {
  wake(): void;
}

/** What the ledger asks of its manager while making room. */
export interface CapacityHost {
  isClosed(): boolean;
  /** Connections reserved by pools already closing: they come back without evicting more. */
  releasing(): number;
  /** Evict the least recently used idle pool other than `except`; false when there is none. */
  evictIdle(except: PoolEntry): boolean;
  /** Count an acquire that timed out waiting for room. */
  timedOut(): void;
}

/** The least recently used pool that holds a reservation and has no work in flight (an eviction victim). */
export function lruIdle(entries: Iterable<PoolEntry>, except: PoolEntry): PoolEntry | undefined {
  let victim: PoolEntry | undefined;
  for (const entry of entries) {
    if (entry === except || !entry.reserved || entry.busy) continue;
    if (entry.state !== 'ready' && entry.state !== 'unhealthy') continue;
    if (victim === undefined || entry.lastUsedSeq < victim.lastUsedSeq) victim = entry;
  }
  return victim;
}

export class Capacity {
  /** Pools holding a pool-count slot (cached ones, not those retiring). */
  activePools = 0;
  reservedConnections = 0;
  readonly #waiters = new Set<CapacityWaiter>();

  constructor(
    private readonly limits: { maxPools: number; maxTotalConnections: number; acquireTimeoutMs: number },
    private readonly host: CapacityHost,
  ) {}

  /** Callers waiting for room. */
  get waiters(): number {
    return this.#waiters.size;
  }

  /** Make room for `entry` under both caps, evicting idle pools (LRU) or waiting for one to free up. */
  async reserve(entry: PoolEntry, deadline: number): Promise<void> {
    const { maxPools, maxTotalConnections, acquireTimeoutMs } = this.limits;
    const size = entry.target.poolSize;
    if (size > maxTotalConnections) {
      throw new PoolLimitError('poolSize', `pool size ${size} of ${entry.key} exceeds maxTotalConnections (${maxTotalConnections})`, 0);
    }
    const started = performance.now();
    for (;;) {
      if (this.host.isClosed() || entry.state !== 'connecting') throw new PoolClosedError();
      const poolsFit = this.activePools < maxPools;
      const connectionsFit = this.reservedConnections + size <= maxTotalConnections;
      if (poolsFit && connectionsFit) {
        this.activePools++;
        this.reservedConnections += size;
        entry.reserved = true;
        return;
      }
      const needEviction = !poolsFit || this.reservedConnections - this.host.releasing() + size > maxTotalConnections;
      if (needEviction && this.host.evictIdle(entry)) continue;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const limit: PoolLimit = poolsFit ? 'maxTotalConnections' : 'maxPools';
        this.host.timedOut();
        throw new PoolLimitError(
          limit,
          `no room for pool ${entry.key} after ${acquireTimeoutMs} ms: ${limit} reached and every cached pool has work in flight`,
          performance.now() - started,
        );
      }
      await this.#waitForRoom(Math.min(remaining, 100));
    }
  }

  /** `entry` starts retiring: its pool-count slot frees at once, its connections stay reserved until closed. */
  releaseSlot(entry: PoolEntry): void {
    if (!entry.reserved || entry.slotReleased) return;
    this.activePools--;
    entry.slotReleased = true;
  }

  /** `entry` closed (or never opened): give back what it reserved. */
  release(entry: PoolEntry): void {
    if (!entry.reserved) return;
    entry.reserved = false;
    this.reservedConnections -= entry.target.poolSize;
    if (!entry.slotReleased) this.activePools--;
    this.wake();
  }

  /** Wake every waiter: a release or a close may have made room. */
  wake(): void {
    for (const waiter of [...this.#waiters]) waiter.wake();
  }

  /** Wake on any release or close, or after `ms` at the latest (a driver-level release has no event). */
  #waitForRoom(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: CapacityWaiter = {
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      timer.unref();
      this.#waiters.add(waiter);
    });
  }
}
