// REDIS_URL: counters live in Redis and are shared by every API instance. Skipped without REDIS_URL.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { defaultRateLimits, RateLimitService, RateLimitStoreError, redisStore } from '../src/services/rate-limits';

const redisUrl = process.env.REDIS_URL;
// Under CI a missing service is a failure, never a skip; on a laptop without Redis the file is skipped.
if (!redisUrl && process.env.CI === 'true') throw new Error('CI=true but REDIS_URL is not set: the Redis rate-limit tests must run in CI');
if (!redisUrl) console.warn('rate-limits-redis.test.ts skipped: REDIS_URL is not set');

describe.skipIf(!redisUrl)('Redis rate-limit store', () => {
  const logger = createLogger('silent');

  it('shares counters between two instances and reports retry-after', async () => {
    const prefix = `studio-test-${randomUUID()}`;
    const a = new RateLimitService(await redisStore(redisUrl!, logger, prefix), defaultRateLimits);
    const b = new RateLimitService(await redisStore(redisUrl!, logger, prefix), defaultRateLimits);
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

  it('fails fast, without the password, when Redis cannot be reached', async () => {
    const error = await redisStore('redis://:hunter2-secret@127.0.0.1:1', logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitStoreError);
    expect((error as Error).message).not.toContain('hunter2-secret');
  });
});
