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
  for (const name of ['create', 'evict', 'unhealthy', 'recover', 'error'] as const) {
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
