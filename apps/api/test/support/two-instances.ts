// Two API instances on one system database and key ring, each serving HTTP, as two processes
// behind a load balancer would be; on PostgreSQL they share Redis when REDIS_URL is set.
import type { TestTarget } from '@studio/db/testing';
import { afterAll, beforeAll } from 'vitest';
import { closeServices, type AppServices } from '../../src/services/index';
import { serveInstance, type ApiInstance } from './api-instance';
import { createHarness, createOtherInstance, type Harness } from './harness';

export interface TwoInstances {
  h: Harness;
  other: AppServices;
  a: ApiInstance;
  b: ApiInstance;
}

/** Made before the file's tests, closed after them; read its fields inside tests. */
export function useTwoInstances(target: TestTarget): TwoInstances {
  const two = {} as TwoInstances;
  beforeAll(async () => {
    const redisUrl = process.env.REDIS_URL;
    const shared = target.name === 'postgres' && redisUrl ? { redisUrl } : {};
    two.h = await createHarness(target, shared);
    two.other = await createOtherInstance(two.h, shared);
    two.a = await serveInstance(two.h.services);
    two.b = await serveInstance(two.other);
  });
  afterAll(async () => {
    await two.a?.close();
    await two.b?.close();
    if (two.other) await closeServices(two.other, { poolDrainDeadlineMs: 1_000 });
    await two.h?.dispose();
  });
  return two;
}
