// Per-principal rate limits (MISSION F9, RFC 002 §9.2). The store is pluggable: the system
// database (RateLimiterPostgres) by default so every API instance shares the counters, process
// memory for the embedded PGlite case, Redis when the lead wires a client in.
import type { Database } from '@studio/db';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { RateLimitedError } from './errors';
import { OutageMonitor } from './outages';

export interface RateLimitRule {
  points: number;
  durationSeconds: number;
}

export const defaultRateLimits = {
  connectionCreate: { points: 10, durationSeconds: 3_600 },
  connectionTest: { points: 30, durationSeconds: 3_600 },
  poolReset: { points: 5, durationSeconds: 3_600 },
  accessChange: { points: 20, durationSeconds: 3_600 },
  list: { points: 60, durationSeconds: 60 },
  status: { points: 120, durationSeconds: 60 },
  poolStats: { points: 60, durationSeconds: 60 },
  /** Per username+ip: slows password guessing without locking the real user out from elsewhere. */
  signIn: { points: 10, durationSeconds: 900 },
  /** Per Admin: invite and reset links issued (each one lets someone set a password). */
  accountLink: { points: 20, durationSeconds: 3_600 },
  /** Per person: own password changes (each costs argon2 work twice). */
  passwordChange: { points: 10, durationSeconds: 3_600 },
  /** Per client address: invite/reset links spent or looked up (argon2 work, link probing). */
  accountLinkUse: { points: 20, durationSeconds: 900 },
  /** Per ip, whatever the username: one address cannot spread guesses over many accounts. */
  signInIp: { points: 100, durationSeconds: 900 },
  /** Each token carries its creator's budgets, so minting is limited too. */
  tokenCreate: { points: 20, durationSeconds: 3_600 },
  workspaceCreate: { points: 10, durationSeconds: 3_600 },
  /** Each validation resolves a caller-chosen host name. */
  connectionValidate: { points: 60, durationSeconds: 60 },
  /**
   * Per person browsing the web UI: the lists and statuses its pages load. Generous (a page view
   * makes a few reads), but still a ceiling for a runaway script driving the UI.
   */
  webRead: { points: 600, durationSeconds: 60 },
  /** Per person: CSV imports started (each can hold a connection and a table for a long time). */
  importStart: { points: 20, durationSeconds: 3_600 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimitBucket = keyof typeof defaultRateLimits;
export type RateLimits = Record<RateLimitBucket, RateLimitRule>;

export class RateLimitConfigError extends Error {
  readonly code = 'rate_limits_invalid';
  constructor(
    readonly bucket: string,
    message: string,
  ) {
    super(message);
    this.name = 'RateLimitConfigError';
  }
}

const RULE = /^(\d{1,9})\/(\d{1,9})$/;

/**
 * Operator overrides of the defaults (RATE_LIMITS): `bucket=points/seconds` entries separated by
 * commas, e.g. `list=600/60,connectionCreate=10/3600`. Buckets not named keep the seed's defaults;
 * an unknown bucket, a malformed rule or a zero is refused naming the bucket, so a typo fails the
 * start instead of silently leaving the default in force.
 */
export function parseRateLimits(raw: string | undefined, defaults: RateLimits = defaultRateLimits): RateLimits {
  const limits: RateLimits = { ...defaults };
  const seen = new Set<string>();
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const bucket = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    if (!Object.hasOwn(defaults, bucket)) {
      throw new RateLimitConfigError(bucket, `unknown bucket "${bucket}" (known: ${Object.keys(defaults).join(', ')})`);
    }
    if (seen.has(bucket)) throw new RateLimitConfigError(bucket, `bucket "${bucket}" is set twice`);
    seen.add(bucket);
    const rule = RULE.exec(eq < 0 ? '' : entry.slice(eq + 1).trim());
    const points = Number(rule?.[1]);
    const durationSeconds = Number(rule?.[2]);
    if (!rule || points < 1 || durationSeconds < 1) {
      throw new RateLimitConfigError(bucket, `bucket "${bucket}" must be points/seconds with both at least 1, e.g. ${bucket}=60/60`);
    }
    limits[bucket as RateLimitBucket] = { points, durationSeconds };
  }
  return limits;
}

/** Where a caller stands in one bucket after a call: what the RateLimit-* headers carry. */
export interface RateLimitDecision {
  bucket: RateLimitBucket;
  limit: number;
  remaining: number;
  /** Whole seconds until the window frees points again. */
  resetSeconds: number;
}

/** What the service asks of a bucket's limiter (a rate-limiter-flexible limiter, or a wrapper of one). */
export type BucketLimiter = Pick<RateLimiterAbstract, 'consume'>;

/** Builds the limiter of one bucket; `keyPrefix` keeps buckets apart in a shared store. */
export type RateLimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => BucketLimiter;

/** Where counters live. `close()` releases a connection the store opened itself. */
export interface RateLimitStore {
  name: string;
  factory: RateLimiterFactory;
  close?: () => Promise<void>;
}

export const memoryStore: RateLimitStore = { name: 'memory', factory: (options) => new RateLimiterMemory(options) };

const POSTGRES_TABLE = 'rate_limits';

/**
 * Counters in the system database. rate-limiter-flexible creates its own table
 * (`rate_limits`: key, points, expire) with CREATE TABLE IF NOT EXISTS; it is not part of the
 * drizzle schema because nothing else reads it. A memory limiter is the insurance when the
 * database errors, so an outage of the counter store degrades limits to per-instance, not to 500s.
 */
export async function postgresStore(pool: Extract<Database, { kind: 'pg' }>['client']): Promise<RateLimitStore> {
  // The library creates its table from the constructor and reports through the callback; do that
  // once, up front, so a missing privilege fails startup instead of the first limited request.
  await new Promise<void>((resolve, reject) => {
    new RateLimiterPostgres(
      { storeClient: pool, storeType: 'pool', tableName: POSTGRES_TABLE, keyPrefix: 'rl_setup', points: 1, duration: 1 },
      (error) => (error ? reject(error) : resolve()),
    );
  });
  return {
    name: 'postgres',
    factory: (options) =>
      new RateLimiterPostgres({
        ...options,
        storeClient: pool,
        storeType: 'pool',
        tableName: POSTGRES_TABLE,
        tableCreated: true,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
  };
}

export interface RedisStoreOptions {
  /** Keys are `<keyPrefix>:rl_<bucket>:…`; tests use their own prefix. */
  keyPrefix?: string;
  /** Deadline of one Redis command (REDIS_COMMAND_TIMEOUT_MS); past it the call is counted in memory. */
  commandTimeoutMs?: number;
  /** Deadline of a connection attempt (REDIS_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Told when Redis stops or starts answering; default: a monitor of its own. */
  outages?: OutageMonitor;
}

/** While Redis is down, how often one PING checks whether it is back. */
const REDIS_PROBE_INTERVAL_MS = 1_000;

/**
 * Counters in Redis (REDIS_URL), shared by every instance. When Redis is down or hangs (at startup
 * too), calls are counted by a per-instance memory limiter instead of failing or waiting: each
 * command has a deadline, a failed one marks Redis down (one warning, /readyz "degraded"), and
 * until a PING answers again the memory limiter is used without asking Redis. Errors are logged
 * without the URL (it may hold a password).
 */
export async function redisStore(url: string, logger: Logger, options: RedisStoreOptions = {}): Promise<RateLimitStore> {
  const outages = options.outages ?? new OutageMonitor(logger);
  const commandTimeout = options.commandTimeoutMs ?? 2_000;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout,
    enableAutoPipelining: true,
    // Keep reconnecting however long the outage: the store is used again as soon as it answers.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let probe: NodeJS.Timeout | undefined;
  let closed = false;
  const markDown = (reason: string): void => {
    if (closed) return;
    outages.failed('redis', reason);
    if (probe !== undefined) return;
    probe = setInterval(() => {
      client.ping().then(
        () => {
          clearInterval(probe);
          probe = undefined;
          outages.recovered('redis');
        },
        () => undefined,
      );
    }, REDIS_PROBE_INTERVAL_MS);
    probe.unref();
  };
  // ioredis reports every failed reconnect; the monitor turns them into one warning per outage.
  client.on('error', (error: Error & { code?: unknown }) => markDown(typeof error.code === 'string' ? redisReasonOf(error.code) : 'connection_lost'));
  client.on('close', () => markDown('connection_lost'));
  try {
    await client.connect();
  } catch (error) {
    // Starting without Redis beats not starting: limits are per instance until it is back.
    logger.error(
      { err: { message: (error as Error).message } },
      'Redis (REDIS_URL) is not reachable at startup: rate limits are counted per instance until it is; the API starts degraded',
    );
    markDown('connection_refused');
  }
  const prefix = options.keyPrefix ?? 'studio';
  return {
    name: 'redis',
    factory: (limits) => {
      const memory = new RateLimiterMemory(limits);
      const redis = new RateLimiterRedis({
        ...limits,
        keyPrefix: `${prefix}:${limits.keyPrefix}`,
        storeClient: client,
        insuranceLimiter: new FallbackLimiter(limits, memory, () => markDown('timeout')),
      });
      // While Redis is known down, do not spend a command deadline on every call.
      return { consume: (key, points) => (outages.outageOf('redis') ? memory.consume(key, points) : redis.consume(key, points)) };
    },
    close: async () => {
      closed = true;
      clearInterval(probe);
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * The insurance limiter of the Redis store: rate-limiter-flexible calls it when a Redis command
 * failed or passed its deadline, which is the one place that learns about a hung Redis.
 */
class FallbackLimiter extends RateLimiterMemory {
  constructor(
    options: { points: number; duration: number },
    private readonly memory: RateLimiterMemory,
    private readonly onFallback: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    this.onFallback();
    return this.memory.consume(key, points, options);
  }
}

function redisReasonOf(code: string): string {
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'connection_lost';
}

/** Who is counted: a person (with every token they made), a token made by no one, or an address. */
export interface RateLimitSubject {
  kind: 'user' | 'token' | 'anonymous';
  id: string;
}

/**
 * Reads that a page of the web UI makes through the same procedures an API client calls. They
 * are budgets for API clients polling; browsing is not that, so in the UI they spend `webRead`.
 */
const WEB_READ_BUCKETS: ReadonlySet<RateLimitBucket> = new Set(['list', 'status', 'poolStats']);

export class RateLimitService {
  readonly #limiters = new Map<RateLimitBucket, BucketLimiter>();
  readonly #rejectionListeners = new Set<(bucket: RateLimitBucket) => void>();
  /** Calls to a shared store waiting for the end of this turn of the event loop, per bucket and key. */
  readonly #waiting = new Map<string, WaitingCalls>();

  readonly #store: RateLimitStore;
  /** A shared store answers over the network: calls of one turn go to it together (decision 028). */
  readonly #countTogether: boolean;

  constructor(
    store: RateLimitStore,
    readonly limits: RateLimits = defaultRateLimits,
  ) {
    this.#store = store;
    this.#countTogether = store.name !== 'memory';
    for (const [bucket, rule] of Object.entries(limits) as [RateLimitBucket, RateLimitRule][]) {
      this.#limiters.set(bucket, store.factory({ keyPrefix: `rl_${bucket}`, points: rule.points, duration: rule.durationSeconds }));
    }
  }

  get storeName(): string {
    return this.#store.name;
  }

  async close(): Promise<void> {
    await this.#store.close?.();
  }

  /** Called with the bucket of every refused call (the /metrics counter); returns the unsubscribe. */
  onRejection(listener: (bucket: RateLimitBucket) => void): () => void {
    this.#rejectionListeners.add(listener);
    return () => this.#rejectionListeners.delete(listener);
  }

  /**
   * Counts one call and returns where the caller stands; throws RateLimitedError (with whole
   * seconds to wait) when over the limit.
   */
  async consume(bucket: RateLimitBucket, subject: RateLimitSubject): Promise<RateLimitDecision> {
    const limiter = this.#limiters.get(bucket);
    const limit = this.limits[bucket].points;
    if (!limiter) return { bucket, limit, remaining: limit, resetSeconds: 0 };
    const key = `${subject.kind}:${subject.id}`;
    const { consumed, msBeforeNext } = this.#countTogether ? await this.#counted(bucket, limiter, key) : await countOne(limiter, key);
    if (consumed > limit) {
      for (const listener of this.#rejectionListeners) listener(bucket);
      throw new RateLimitedError(bucket, Math.max(1, secondsOf(msBeforeNext)), limit);
    }
    return { bucket, limit, remaining: limit - consumed, resetSeconds: secondsOf(msBeforeNext) };
  }

  /**
   * Counts a call in a shared store (Redis, the system database) together with the other calls of
   * the same bucket and key made in this turn of the event loop: one atomic increment by their
   * number, then each call learns the count it would have seen had they been sent one by one in
   * order (the first `limit - before` are answered, the rest refused). Exact across instances, as
   * one command per call was; at 1,000 clients on one token it is one command where there were
   * dozens (decision 028).
   */
  #counted(bucket: RateLimitBucket, limiter: BucketLimiter, key: string): Promise<Counted> {
    const id = `${bucket}\u0000${key}`;
    let calls = this.#waiting.get(id);
    if (!calls) {
      const batch: WaitingCalls = { waiters: [] };
      calls = batch;
      this.#waiting.set(id, batch);
      // After the I/O callbacks of this turn (the requests that arrived together), before the next poll.
      setImmediate(() => {
        this.#waiting.delete(id);
        void settle(limiter, key, batch.waiters);
      });
    }
    const waiters = calls.waiters;
    return new Promise<Counted>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /**
   * A view for one request that remembers the tightest decision (for the response headers). For
   * the web UI (`surface: 'web'`), page-load reads count on the UI's own budget and never use up
   * the public API's `list`/`status` budgets; operations keep theirs.
   */
  forRequest(surface: 'api' | 'web' = 'api'): RequestRateLimits {
    return new RequestRateLimits(this, surface);
  }
}

/** What one call learns from the store: the window's count including it, and when points free up. */
interface Counted {
  consumed: number;
  msBeforeNext: number;
}

interface WaitingCalls {
  waiters: { resolve: (counted: Counted) => void; reject: (error: unknown) => void }[];
}

/** rate-limiter-flexible refuses by rejecting with the same result it resolves with; both carry the count. */
async function countOne(limiter: BucketLimiter, key: string, points = 1): Promise<Counted> {
  try {
    const res = await limiter.consume(key, points);
    return { consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { consumed: rejection.consumedPoints, msBeforeNext: rejection.msBeforeNext };
    throw rejection;
  }
}

async function settle(limiter: BucketLimiter, key: string, waiters: WaitingCalls['waiters']): Promise<void> {
  try {
    const { consumed, msBeforeNext } = await countOne(limiter, key, waiters.length);
    const before = consumed - waiters.length;
    waiters.forEach((waiter, index) => waiter.resolve({ consumed: before + index + 1, msBeforeNext }));
  } catch (error) {
    for (const waiter of waiters) waiter.reject(error);
  }
}

function secondsOf(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * What procedures see as `ctx.rateLimits`: the service's consume, plus the decision that the
 * HTTP layers turn into RateLimit-Limit / -Remaining / -Reset. When one request spends several
 * buckets (sign-in counts per user and per address) the one with the fewest calls left is shown.
 */
export class RequestRateLimits {
  #decision: RateLimitDecision | undefined;

  constructor(
    private readonly service: RateLimitService,
    private readonly surface: 'api' | 'web' = 'api',
  ) {}

  get decision(): RateLimitDecision | undefined {
    return this.#decision;
  }

  async consume(requested: RateLimitBucket, subject: RateLimitSubject): Promise<RateLimitDecision> {
    const bucket = this.surface === 'web' && WEB_READ_BUCKETS.has(requested) ? 'webRead' : requested;
    try {
      return this.#keep(await this.service.consume(bucket, subject));
    } catch (error) {
      if (error instanceof RateLimitedError) this.#keep({ bucket, limit: error.limit, remaining: 0, resetSeconds: error.retryAfterSeconds });
      throw error;
    }
  }

  #keep(decision: RateLimitDecision): RateLimitDecision {
    const current = this.#decision;
    if (!current || decision.remaining < current.remaining || (decision.remaining === current.remaining && decision.resetSeconds > current.resetSeconds)) {
      this.#decision = decision;
    }
    return decision;
  }
}

/** The standard rate-limit headers of one decision (IETF RateLimit header fields, draft 6 names). */
export function rateLimitHeaders(decision: RateLimitDecision | undefined): Record<string, string> {
  if (!decision) return {};
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
  };
}
