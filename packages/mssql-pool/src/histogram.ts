/** Upper bounds (ms) of the acquire-time buckets; the last bucket is +Inf. */
export const ACQUIRE_BUCKETS_MS: readonly number[] = [0.01, 0.1, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

export interface HistogramSnapshot {
  /** Cumulative counts per upper bound (Prometheus `le` semantics), ending with `+Inf`. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sumMs: number;
}

/** A fixed-bucket histogram cheap enough for the acquire hot path (no allocation per sample). */
export class Histogram {
  readonly #counts = new Float64Array(ACQUIRE_BUCKETS_MS.length + 1);
  #count = 0;
  #sum = 0;

  /** A cache hit: its cost is well under the first bucket (see the benchmark), so no clock read. */
  recordHit(): void {
    this.#counts[0]! += 1;
    this.#count += 1;
  }

  record(ms: number): void {
    let i = 0;
    while (i < ACQUIRE_BUCKETS_MS.length && ms > ACQUIRE_BUCKETS_MS[i]!) i++;
    this.#counts[i]! += 1;
    this.#count += 1;
    this.#sum += ms;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<{ le: number; count: number }> = [];
    let cumulative = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      cumulative += this.#counts[i]!;
      buckets.push({ le: ACQUIRE_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY, count: cumulative });
    }
    return { buckets, count: this.#count, sumMs: this.#sum };
  }
}
