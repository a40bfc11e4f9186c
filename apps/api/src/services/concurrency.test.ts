import { describe, expect, it } from 'vitest';
import { ConcurrencyBudget } from './concurrency';
import { RateLimitedError } from './errors';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('ConcurrencyBudget', () => {
  it('runs `concurrency` calls per key, lets the next wait for a slot, refuses after maxWaitMs', async () => {
    const budget = new ConcurrencyBudget({ name: 'test', concurrency: 1, maxWaitMs: 300 });
    const first = gate();
    const order: string[] = [];
    const running = budget.run('a', async () => {
      order.push('first');
      await first.opened;
      return 1;
    });
    // Another key has its own budget.
    await expect(budget.run('b', async () => 'other key')).resolves.toBe('other key');

    const second = budget.run('a', async () => {
      order.push('second');
      return 2;
    });
    expect(budget.load('a')).toEqual({ running: 1, waiting: 1 });
    setTimeout(first.open, 50);
    await expect(Promise.all([running, second])).resolves.toEqual([1, 2]);
    expect(order).toEqual(['first', 'second']);

    const blocker = gate();
    const held = budget.run('a', () => blocker.opened);
    const started = Date.now();
    const refused = await budget.run('a', async () => 'never').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1, details: { bucket: 'test', limit: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(budget.load('a')).toEqual({ running: 1, waiting: 0 });
    blocker.open();
    await held;
    expect(budget.load('a')).toEqual({ running: 0, waiting: 0 });
  });

  it('passes a failure of the work itself through unchanged', async () => {
    const budget = new ConcurrencyBudget({ name: 'test', concurrency: 2, maxWaitMs: 100 });
    await expect(budget.run('a', () => Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
  });
});
