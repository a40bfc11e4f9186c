import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import PQueue from 'p-queue';

// argon2id (the library default) with OWASP's minimum: 19 MiB, 2 passes, 1 lane.
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Every hash and verification waits its turn here. argon2 is slow and memory-hard on purpose and
 * runs on libuv's thread pool: unbounded, a burst of sign-ins takes every core (and the pool that
 * file and DNS work share), so unrelated requests such as /healthz stall for seconds. One core is
 * always left to the event loop.
 */
const queue = new PQueue({ concurrency: Math.max(1, availableParallelism() - 1) });

/** How busy the password work is: callers shed load on `waiting` before queueing more. */
export const passwordWork = {
  get concurrency(): number {
    return queue.concurrency;
  },
  get running(): number {
    return queue.pending;
  },
  get waiting(): number {
    return queue.size;
  },
};

/** Hashes a password with argon2id; the result embeds salt and parameters (PHC string). */
export function hashPassword(password: string): Promise<string> {
  return queue.add(() => hash(password, ARGON2_OPTIONS));
}

/** True when `password` matches `passwordHash`; false for a wrong password or a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await queue.add(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}
