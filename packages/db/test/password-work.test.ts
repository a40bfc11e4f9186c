// argon2 work is bounded: however many hashes and verifications are asked for at once, only
// `concurrency` run and the rest wait their turn, each still answering correctly.
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordWork, verifyPassword } from '../src/password';

describe('password work queue', () => {
  it('runs at most `concurrency` argon2 calls at once and queues the rest', async () => {
    const stored = await hashPassword('queue-test-password');
    expect(passwordWork.running).toBe(0);
    expect(passwordWork.concurrency).toBeGreaterThanOrEqual(1);

    const burst = 6 + passwordWork.concurrency;
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, passwordWork.running);
    }, 1);
    const answers = Array.from({ length: burst }, (_, i) => verifyPassword(stored, i % 2 === 0 ? 'queue-test-password' : 'wrong'));
    // Queued synchronously: the first `concurrency` start, the others wait.
    expect(passwordWork.running).toBe(passwordWork.concurrency);
    expect(passwordWork.waiting).toBe(burst - passwordWork.concurrency);

    const results = await Promise.all(answers);
    clearInterval(watch);
    expect(results).toEqual(Array.from({ length: burst }, (_, i) => i % 2 === 0));
    expect(peak).toBeLessThanOrEqual(passwordWork.concurrency);
    expect(passwordWork.running).toBe(0);
    expect(passwordWork.waiting).toBe(0);
  });
});
