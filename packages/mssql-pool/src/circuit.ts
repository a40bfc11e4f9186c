// Failure memory per pool key: backoff between attempts and the circuit that fails callers fast
// after repeated (or permanent) failed calls. An open circuit lets one probe through (half-open)
// after 1-2 × circuitProbeDelayMs; each probe that fails doubles the wait, up to circuitResetMs
// (a permanent failure, such as a wrong password, waits circuitResetMs at once). A call counts
// once however many times it was retried.
import { CircuitOpenError } from './errors';
import type { CircuitStats } from './events';

interface Breaker {
  workspaceId: string;
  connectionId: string;
  /** Failed calls in a row (a call's own retries count once). */
  failures: number;
  /** Times the circuit opened in a row without a success in between (grows the probe delay). */
  opens: number;
  retryAt: number;
  lastError: unknown;
}

export interface CircuitPolicy {
  failureThreshold: number;
  circuitProbeDelayMs: number;
  circuitResetMs: number;
  random: () => number;
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

  /** When `key`'s circuit lets a probe through again (now or past when it is closed). */
  retryAt(key: string): number {
    return this.#breakers.get(key)?.retryAt ?? Date.now();
  }

  /** Throws CircuitOpenError while `key`'s circuit is open; returns its history otherwise. */
  admit(key: string): { failures: number } | undefined {
    const breaker = this.#breakers.get(key);
    if (breaker !== undefined && breaker.retryAt > Date.now()) {
      throw new CircuitOpenError(key, breaker.failures, breaker.retryAt, breaker.lastError);
    }
    return breaker;
  }

  /**
   * One call on `key` failed (after its own retries). Opens the circuit when the failures in a row
   * reach the threshold, when the failure is permanent, or when it was a half-open probe.
   */
  fail(key: string, pool: { workspaceId: string; connectionId: string }, error: unknown, permanent: boolean, policy: CircuitPolicy): { failures: number; open: boolean } {
    const previous = this.#breakers.get(key);
    const failures = (previous?.failures ?? 0) + 1;
    const open = permanent || failures >= policy.failureThreshold;
    const opens = (previous?.opens ?? 0) + (open ? 1 : 0);
    let retryAt = Date.now();
    if (open && permanent) {
      // A wrong password stays wrong: probing soon would only add failed logins on the server.
      retryAt += policy.circuitResetMs;
    } else if (open) {
      const base = Math.min(policy.circuitResetMs, policy.circuitProbeDelayMs * 2 ** Math.min(opens - 1, 30));
      retryAt += Math.min(policy.circuitResetMs, Math.round(base * (1 + policy.random())));
    }
    this.#breakers.set(key, { workspaceId: pool.workspaceId, connectionId: pool.connectionId, failures, opens, retryAt, lastError: error });
    return { failures, open };
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
