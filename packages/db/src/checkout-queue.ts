// A bounded FIFO in front of pg.Pool's checkouts. pg-pool applies one deadline
// (`connectionTimeoutMillis`) both to opening a connection and to waiting for a busy pool, and its
// "timeout exceeded when trying to connect" reads like an unreachable server: under a burst of
// 1,000 clients the API took load for an outage. Here at most `max` checkouts are in pg-pool at
// once (so its deadline only ever times the opening of a connection), the rest wait in order, and
// only past `queueMax` waiters or `queueTimeoutMs` of waiting is a caller refused, with a
// `PoolBusyError` of its own.
import type pg from 'pg';
import { PoolBusyError, unavailableReasonOf } from './errors';

export interface CheckoutQueueOptions {
  /** Checkouts passed on to pg-pool at once: the pool's `max`. */
  max: number;
  /** Callers that may wait for a connection; the next one is refused at once. */
  queueMax: number;
  /** How long one caller may wait in the queue; 0 = as long as it takes. */
  queueTimeoutMs: number;
}

type Done = (release?: unknown) => void;
type ConnectCallback = (error: Error | undefined, client?: pg.PoolClient, done?: Done) => void;

interface Waiter {
  start: () => void;
  fail: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Counters of one pool's queue (the pool's own `waitingCount` only sees what reached pg-pool). */
export interface CheckoutQueueStats {
  active: number;
  waiting: number;
  refused: number;
}

export function installCheckoutQueue(pool: pg.Pool, options: CheckoutQueueOptions): CheckoutQueueStats {
  const stats: CheckoutQueueStats = { active: 0, waiting: 0, refused: 0 };
  const waiters: Waiter[] = [];
  const connect = pool.connect.bind(pool) as (callback: ConnectCallback) => void;

  const next = (): void => {
    const waiter = waiters.shift();
    if (!waiter) return;
    stats.waiting -= 1;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.start();
  };

  const failWaiting = (error: Error): void => {
    for (const waiter of waiters.splice(0)) {
      stats.waiting -= 1;
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.fail(error);
    }
  };

  const checkout = (callback: ConnectCallback): void => {
    stats.active += 1;
    connect((error, client, done) => {
      if (error || !client || !done) {
        stats.active -= 1;
        const failure = error ?? new Error('pg-pool gave no client');
        if (unavailableReasonOf(failure) !== undefined) failWaiting(failure);
        else next();
        callback(failure);
        return;
      }
      let released = false;
      const release: Done = (reason) => {
        done(reason);
        if (released) return;
        released = true;
        stats.active -= 1;
        // A connection lost or timed out says the server is unreachable: the callers waiting behind
        // it are failed with the same error now, not each after a deadline of its own.
        if (reason instanceof Error && unavailableReasonOf(reason) !== undefined) failWaiting(reason);
        else next();
      };
      // pg-pool's query() and drizzle's transactions call `client.release`; both must free the slot.
      client.release = release as pg.PoolClient['release'];
      callback(undefined, client, release);
    });
  };

  const queued = (callback: ConnectCallback): void => {
    if (stats.active < options.max && waiters.length === 0) {
      checkout(callback);
      return;
    }
    if (waiters.length >= options.queueMax) {
      stats.refused += 1;
      const error = new PoolBusyError('pool_queue_full', `every system-database connection is busy and ${options.queueMax} calls are already waiting`);
      process.nextTick(() => callback(error));
      return;
    }
    const waiter: Waiter = { start: () => checkout(callback), fail: (error) => callback(error), timer: undefined };
    if (options.queueTimeoutMs > 0) {
      waiter.timer = setTimeout(() => {
        const at = waiters.indexOf(waiter);
        if (at === -1) return;
        waiters.splice(at, 1);
        stats.waiting -= 1;
        stats.refused += 1;
        callback(new PoolBusyError('pool_queue_timeout', `no system-database connection became free within ${options.queueTimeoutMs} ms`));
      }, options.queueTimeoutMs);
      waiter.timer.unref();
    }
    waiters.push(waiter);
    stats.waiting += 1;
  };

  // pg.Pool.query() calls `this.connect(callback)`; drizzle's transactions call `connect()` for a promise.
  (pool as unknown as { connect: (callback?: ConnectCallback) => unknown }).connect = (callback?: ConnectCallback) => {
    if (callback) {
      queued(callback);
      return undefined;
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      queued((error, client) => (error || !client ? reject(error) : resolve(client)));
    });
  };
  return stats;
}
