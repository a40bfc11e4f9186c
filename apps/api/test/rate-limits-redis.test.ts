// REDIS_URL: counters live in Redis and are shared by every API instance. Skipped without REDIS_URL.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { OutageMonitor } from '../src/services/outages';
import { defaultRateLimits, RateLimitService, redisStore } from '../src/services/rate-limits';

const redisUrl = process.env.REDIS_URL;
// Under CI a missing service is a failure, never a skip; on a laptop without Redis the file is skipped.
if (!redisUrl && process.env.CI === 'true') throw new Error('CI=true but REDIS_URL is not set: the Redis rate-limit tests must run in CI');
if (!redisUrl) console.warn('rate-limits-redis.test.ts skipped: REDIS_URL is not set');

describe.skipIf(!redisUrl)('Redis rate-limit store', () => {
  const logger = createLogger('silent');

  it('shares counters between two instances and reports retry-after', async () => {
    const prefix = `studio-test-${randomUUID()}`;
    const a = new RateLimitService(await redisStore(redisUrl!, logger, { keyPrefix: prefix }), defaultRateLimits);
    const b = new RateLimitService(await redisStore(redisUrl!, logger, { keyPrefix: prefix }), defaultRateLimits);
    try {
      expect(a.storeName).toBe('redis');
      const subject = { kind: 'token' as const, id: randomUUID() };
      for (let i = 0; i < 3; i += 1) await a.consume('poolReset', subject);
      for (let i = 0; i < 2; i += 1) await b.consume('poolReset', subject);
      await expect(a.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
      // Another subject is unaffected.
      await expect(b.consume('poolReset', { kind: 'token', id: randomUUID() })).resolves.toMatchObject({ bucket: 'poolReset', limit: 5, remaining: 4 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('calls made at the same moment on two instances are counted exactly: the first ones answered in order, the rest refused', async () => {
    const prefix = `studio-test-${randomUUID()}`;
    const limits = { ...defaultRateLimits, poolReset: { points: 30, durationSeconds: 60 } };
    const a = new RateLimitService(await redisStore(redisUrl!, logger, { keyPrefix: prefix }), limits);
    const b = new RateLimitService(await redisStore(redisUrl!, logger, { keyPrefix: prefix }), limits);
    try {
      const subject = { kind: 'token' as const, id: randomUUID() };
      // 25 calls issued together on each instance (they share one increment per instance), 50 in all.
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).consume('poolReset', subject)));
      const answered = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value.remaining);
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as { code?: string }).code);
      expect(answered).toHaveLength(30);
      // Every answered call saw its own place in the window, as if each had been sent alone.
      expect([...answered].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(refused).toEqual(Array.from({ length: 20 }, () => 'rate_limited'));
      // Later calls, one at a time, are refused on both instances.
      await expect(a.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(b.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited' });
      // Another key is counted on its own, even in the same turn.
      const other = { kind: 'token' as const, id: randomUUID() };
      const [first, second] = await Promise.all([a.consume('poolReset', other), a.consume('poolReset', other)]);
      expect([first.remaining, second.remaining]).toEqual([29, 28]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('starts without Redis: limits in memory, the outage reported once, no password in the log', async () => {
    const lines: string[] = [];
    const outages = new OutageMonitor(createLogger('warn', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream));
    const quiet = createLogger('error', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    const store = await redisStore('redis://:hunter2-secret@127.0.0.1:1', quiet, { outages, connectTimeoutMs: 200 });
    const limits = new RateLimitService(store, { ...defaultRateLimits, poolReset: { points: 2, durationSeconds: 60 } });
    try {
      expect(outages.outageOf('redis')).toMatchObject({ reason: 'connection_refused' });
      const subject = { kind: 'token' as const, id: randomUUID() };
      await limits.consume('poolReset', subject);
      await limits.consume('poolReset', subject);
      await expect(limits.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited' });
      // ioredis keeps retrying; the monitor logs one warning however many attempts fail.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(lines.filter((line) => line.includes('is unavailable'))).toHaveLength(1);
      expect(lines.join('\n')).toContain('not reachable at startup');
      expect(lines.join('\n')).not.toContain('hunter2-secret');
    } finally {
      await limits.close();
    }
  });
});
