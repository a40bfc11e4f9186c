// Which of the process's own dependencies (the system database, Redis) are down right now. An
// outage is logged once when it starts and once when it ends, whatever the number of requests
// that ran into it; /readyz and /metrics read the same state.
import type { Logger } from 'pino';

export type Dependency = 'system_database' | 'redis';

const LABELS: Record<Dependency, string> = {
  system_database: 'the system database',
  redis: 'the Redis rate-limit store',
};

export interface Outage {
  dependency: Dependency;
  /** timeout, connection_refused, connection_lost, shutting_down, … (never a driver message). */
  reason: string;
  since: Date;
}

export type OutageListener = (dependency: Dependency, down: boolean) => void;

export class OutageMonitor {
  readonly #down = new Map<Dependency, Outage>();
  readonly #listeners = new Set<OutageListener>();

  constructor(private readonly logger: Logger) {}

  static labelOf(dependency: Dependency): string {
    return LABELS[dependency];
  }

  /** A call found `dependency` unreachable. Logs a warning only when it was up until now. */
  failed(dependency: Dependency, reason: string): void {
    if (this.#down.has(dependency)) return;
    this.#down.set(dependency, { dependency, reason, since: new Date() });
    this.logger.warn({ dependency, reason }, `${LABELS[dependency]} is unavailable; calls that need it answer 503 until it is back`);
    for (const listener of this.#listeners) listener(dependency, true);
  }

  /** A call reached `dependency`. Logs once when this ends an outage. */
  recovered(dependency: Dependency): void {
    const outage = this.#down.get(dependency);
    if (outage === undefined) return;
    this.#down.delete(dependency);
    this.logger.warn({ dependency, downtimeMs: Date.now() - outage.since.getTime() }, `${LABELS[dependency]} is available again`);
    for (const listener of this.#listeners) listener(dependency, false);
  }

  outageOf(dependency: Dependency): Outage | undefined {
    return this.#down.get(dependency);
  }

  get outages(): Outage[] {
    return [...this.#down.values()];
  }

  /** Called on every transition; returns the unsubscribe. */
  onChange(listener: OutageListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
