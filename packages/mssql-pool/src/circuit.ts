// Failure memory per pool key: backoff between attempts and the circuit that fails callers fast
// after repeated (or permanent) failures, until `circuitResetMs` lets one probe through.
import { CircuitOpenError } from './errors';
import type { CircuitStats } from './events';

interface Breaker {
  workspaceId: string;
  connectionId: string;
  failures: number;
  retryAt: number;
  lastError: unknown;
}

/** Full jitter: the delay before retry `failures` is uniform in [0, min(max, base·2^(failures-1))). */
export function backoff(failures: number, options: { retryBaseDelayMs: number; retryMaxDelayMs: number }, random: () => number): { delay: number; ceiling: number } {
  const ceiling = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** Math.min(failures - 1, 30));
  return { delay: Math.floor(random() * ceiling), ceiling };
}

export class Circuits {
  readonly #breakers = new Map<string, Breaker>();

  /** The failure history of `key`, when its circuit is still remembered. */
  get(key: string): { failures: number } | undefined {
    return this.#breakers.get(key);
  }

  /** Throws CircuitOpenError while `key`'s circuit is open; returns its history otherwise. */
  admit(key: string): { failures: number } | undefined {
    const breaker = this.#breakers.get(key);
    if (breaker !== undefined && breaker.retryAt > Date.now()) {
      throw new CircuitOpenError(key, breaker.failures, breaker.retryAt, breaker.lastError);
    }
    return breaker;
  }

  open(key: string, pool: { workspaceId: string; connectionId: string }, failures: number, error: unknown, resetMs: number): void {
    this.#breakers.set(key, { workspaceId: pool.workspaceId, connectionId: pool.connectionId, failures, retryAt: Date.now() + resetMs, lastError: error });
  }

  /** Forget `key`'s failures; true when there were some (the pool recovered). */
  close(key: string): boolean {
    return this.#breakers.delete(key);
  }

  forgetMatching(matches: (pool: { key: string; workspaceId: string; connectionId: string }) => boolean): void {
    for (const [key, breaker] of [...this.#breakers]) {
      if (matches({ key, workspaceId: breaker.workspaceId, connectionId: breaker.connectionId })) this.#breakers.delete(key);
    }
  }

  /** Drop histories whose circuit closed more than `keepMs` ago. */
  sweep(keepMs: number): void {
    const now = Date.now();
    for (const [key, breaker] of this.#breakers) {
      if (breaker.retryAt + keepMs < now) this.#breakers.delete(key);
    }
  }

  clear(): void {
    this.#breakers.clear();
  }

  /** Circuits open right now. */
  stats(): CircuitStats[] {
    const now = Date.now();
    const open: CircuitStats[] = [];
    for (const [key, breaker] of this.#breakers) {
      if (breaker.retryAt > now) {
        open.push({
          key,
          workspaceId: breaker.workspaceId,
          connectionId: breaker.connectionId,
          failures: breaker.failures,
          retryAt: new Date(breaker.retryAt),
          lastError: breaker.lastError instanceof Error ? breaker.lastError.message : String(breaker.lastError),
        });
      }
    }
    return open;
  }
}
