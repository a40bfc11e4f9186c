// A concurrency budget per key (e.g. per connection): at most `concurrency` calls run at once; the
// next ones wait up to `maxWaitMs` for a slot, then are refused with RateLimitedError (429 with
// Retry-After), so one busy key cannot queue work without end or starve the others.
import PQueue from 'p-queue';
import { RateLimitedError } from './errors';

export interface ConcurrencyBudgetOptions {
  /** Names the budget in the refusal (`details.bucket`). */
  name: string;
  concurrency: number;
  maxWaitMs: number;
}

export class ConcurrencyBudget {
  readonly #queues = new Map<string, PQueue>();

  constructor(readonly options: ConcurrencyBudgetOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!Number.isInteger(options.maxWaitMs) || options.maxWaitMs < 0) throw new RangeError('maxWaitMs must be a non-negative integer');
  }

  /** Calls running and waiting for `key`. */
  load(key: string): { running: number; waiting: number } {
    const queue = this.#queues.get(key);
    return { running: queue?.pending ?? 0, waiting: queue?.size ?? 0 };
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new PQueue({ concurrency: this.options.concurrency });
      this.#queues.set(key, queue);
    }
    const waited = new AbortController();
    let started = false;
    const timer = setTimeout(() => waited.abort(), this.options.maxWaitMs);
    timer.unref();
    try {
      return await queue.add(
        () => {
          started = true;
          clearTimeout(timer);
          return work();
        },
        { signal: waited.signal },
      );
    } catch (error) {
      if (!started && waited.signal.aborted) {
        throw new RateLimitedError(this.options.name, Math.max(1, Math.ceil(this.options.maxWaitMs / 1000)), this.options.concurrency);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (queue.size === 0 && queue.pending === 0 && this.#queues.get(key) === queue) this.#queues.delete(key);
    }
  }
}
