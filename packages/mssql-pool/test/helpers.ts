import { randomUUID } from 'node:crypto';
import type { ConnectionTarget, ConnectionTargetOf, PoolEventMap, WorkspacePoolManager } from '../src/index';

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export function targetFromUrl<K extends 'postgres' | 'mysql'>(
  url: string,
  type: K,
  overrides: Partial<Omit<ConnectionTarget, 'type'>> & { workspaceId: string; connectionId: string },
): ConnectionTargetOf<K> {
  const u = new URL(url);
  return {
    type,
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    ...overrides,
  };
}

/** Collect every event the manager emits, in order. */
export function recordEvents(manager: WorkspacePoolManager) {
  const events: Array<{ name: keyof PoolEventMap; at: number; payload: PoolEventMap[keyof PoolEventMap][0] }> = [];
  for (const name of ['create', 'evict', 'unhealthy', 'recover', 'replace', 'replaceFailed', 'failover', 'error'] as const) {
    manager.on(name, (payload: PoolEventMap[typeof name][0]) => events.push({ name, at: performance.now(), payload }));
  }
  return events;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, message = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Fails the test if anything reaches the process-level handlers (a crash in production). */
export function trackUnhandled() {
  const seen: unknown[] = [];
  const onError = (error: unknown) => seen.push(error);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    seen,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

/** One call of a load run: when it started and ended, and how it went. */
export interface LoadCall<T> {
  startedAt: number;
  endedAt: number;
  value?: T;
  error?: unknown;
}

/**
 * Calls `call` about `perSecond` times a second (each call is started on time, not after the
 * previous one) until `stop()`, which waits for the calls in flight and returns every call.
 */
export function startLoad<T>(call: () => Promise<T>, perSecond: number) {
  const calls: Array<LoadCall<T>> = [];
  const running = new Set<Promise<void>>();
  const start = () => {
    const record: LoadCall<T> = { startedAt: performance.now(), endedAt: Number.NaN };
    calls.push(record);
    const done = call().then(
      (value) => {
        record.value = value;
      },
      (error: unknown) => {
        record.error = error;
      },
    );
    const tracked = done.finally(() => {
      record.endedAt = performance.now();
      running.delete(tracked);
    });
    running.add(tracked);
  };
  const periodMs = 1000 / perSecond;
  let due = performance.now();
  const timer = setInterval(() => {
    // Catch up after a late tick, so the rate holds when the event loop is busy.
    const now = performance.now();
    // …but a stalled loop does not turn into a burst: at most 100 ms is made up.
    due = Math.max(due, now - 100);
    while (due <= now) {
      start();
      due += periodMs;
    }
  }, Math.max(1, Math.floor(periodMs)));
  return {
    calls,
    /** Calls that have not finished yet. */
    get inFlight(): number {
      return running.size;
    },
    failed: () => calls.filter((c) => c.error !== undefined),
    async stop(): Promise<Array<LoadCall<T>>> {
      clearInterval(timer);
      await Promise.all([...running]);
      return calls;
    },
  };
}
