import { z } from 'zod';
import type { DriverAdapter } from './adapters/types';
import { PoolOptionsError } from './errors';
import type { DatabaseType } from './target';

/** A physical connection about to be opened: what `beforeConnect` decides on. */
export interface ConnectRequest {
  readonly workspaceId: string;
  readonly connectionId: string;
  readonly type: DatabaseType;
  /** The target's host: a name or an IP literal. */
  readonly host: string;
  readonly port: number;
}

/**
 * Runs before every physical connection (a pool's first login, each later one, and each health
 * check of a pool idle past the bypass window). Resolve to the IP address to connect to (resolve
 * the name once, vet it, return it: the driver connects there, TLS still checks the host name);
 * throw to refuse, and no socket is opened.
 */
export type BeforeConnect = (request: ConnectRequest) => Promise<string> | string;

export interface WorkspacePoolManagerOptions {
  /** Most pools cached at once; beyond it the least recently used idle pool is evicted. Default 100. */
  maxPools?: number;
  /** Most connections open across all pools (each pool reserves its `poolSize`). Default 500. */
  maxTotalConnections?: number;
  /** Pool size for targets that do not set `options.poolSize`. Default 10. */
  defaultPoolSize?: number;
  /** A pool unused this long is closed by the sweep. Default 30 min. */
  idleTimeoutMs?: number;
  /** How often the idle sweep runs. Default 60 s (never more than `idleTimeoutMs`). */
  sweepIntervalMs?: number;
  /** Longest a caller waits for a pool (creation, room under the caps, recovery). Default 30 s. */
  acquireTimeoutMs?: number;
  /** A connection idle this long inside a driver pool is closed by the driver. Default 30 s. */
  connectionIdleTimeoutMs?: number;
  /** Default login timeout for targets that do not set one. Default 15 s. */
  connectTimeoutMs?: number;
  /** Default statement timeout for targets that do not set one. Default 15 s. */
  requestTimeoutMs?: number;
  /** A pool used within this window is reused without a health check (HikariCP's 500 ms). */
  healthCheckBypassMs?: number;
  /** Timeout of the `SELECT 1` health check. Default 5 s. */
  healthCheckTimeoutMs?: number;
  /** Backoff before retry n is random(0, min(retryMaxDelayMs, retryBaseDelayMs * 2^(n-1))). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Consecutive failures that open the circuit (and evict the pool). Default 5. */
  failureThreshold?: number;
  /** First wait of an open circuit before one probe is let through: uniform in [d, 2d), at most circuitResetMs. Default 1 s. */
  circuitProbeDelayMs?: number;
  /** Longest wait of an open circuit: each failed probe doubles the wait up to this. Default 10 s. */
  circuitResetMs?: number;
  /** How long a replaced/invalidated/evicted pool may drain before it is destroyed. Default 30 s. */
  drainTimeoutMs?: number;
  /**
   * A pool older than this is renewed: a pool in use gets a successor (one login with the same
   * settings) and drains once it is ready; an idle one is closed. So rotated passwords and moved
   * DNS names are picked up without a reset. Default 30 min; 0 = never.
   */
  maxLifetimeMs?: number;
  /** Each pool's lifetime is drawn uniformly from [(1 - jitter)·maxLifetimeMs, maxLifetimeMs], so pools opened together renew apart. Default 0.1. */
  maxLifetimeJitter?: number;
  /** node-mssql's per-acquire validation; `'socket'` (default) costs no round trip, `true` one `SELECT 1`. */
  validateConnection?: boolean | 'socket';
  /** Replace or add driver adapters (tests, other drivers). */
  adapters?: Partial<Record<DatabaseType, DriverAdapter>>;
  /** Outbound policy at connect time (see `BeforeConnect`); unset, drivers resolve host names themselves. */
  beforeConnect?: BeforeConnect;
  /** Jitter source in [0, 1); for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

export type ResolvedManagerOptions = Required<Omit<WorkspacePoolManagerOptions, 'adapters' | 'beforeConnect'>> &
  Pick<WorkspacePoolManagerOptions, 'adapters' | 'beforeConnect'>;

const ms = (max = 7 * 24 * 3600 * 1000) => z.number().int().nonnegative().max(max);
const count = (max: number) => z.number().int().min(1).max(max);

const schema = z
  .object({
    maxPools: count(100_000).default(100),
    maxTotalConnections: count(1_000_000).default(500),
    defaultPoolSize: count(1000).default(10),
    idleTimeoutMs: ms().min(1).default(30 * 60 * 1000),
    sweepIntervalMs: ms().min(1).optional(),
    acquireTimeoutMs: ms().min(1).default(30_000),
    connectionIdleTimeoutMs: ms().min(1).default(30_000),
    connectTimeoutMs: ms().min(1).default(15_000),
    requestTimeoutMs: ms().min(1).default(15_000),
    healthCheckBypassMs: ms().default(500),
    healthCheckTimeoutMs: ms().min(1).default(5_000),
    retryBaseDelayMs: ms().min(1).default(200),
    retryMaxDelayMs: ms().min(1).default(10_000),
    failureThreshold: count(1000).default(5),
    circuitProbeDelayMs: ms().min(1).default(1_000),
    circuitResetMs: ms().min(1).default(10_000),
    drainTimeoutMs: ms().default(30_000),
    // setTimeout fires at once beyond 2^31 - 1 ms (≈ 24.8 days).
    maxLifetimeMs: ms(2 ** 31 - 1).default(30 * 60 * 1000),
    maxLifetimeJitter: z.number().min(0).max(1).default(0.1),
    validateConnection: z.union([z.boolean(), z.literal('socket')]).default('socket'),
    adapters: z
      .object({
        mssql: z.custom<DriverAdapter>(isAdapter, 'must be a DriverAdapter').optional(),
        postgres: z.custom<DriverAdapter>(isAdapter, 'must be a DriverAdapter').optional(),
        mysql: z.custom<DriverAdapter>(isAdapter, 'must be a DriverAdapter').optional(),
      })
      .strict()
      .optional(),
    random: z.custom<() => number>((value) => typeof value === 'function', 'must be a function').default(() => Math.random),
    beforeConnect: z.custom<BeforeConnect>((value) => typeof value === 'function', 'must be a function').optional(),
  })
  .strict();

function isAdapter(value: unknown): boolean {
  const v = value as Partial<DriverAdapter> | null;
  return typeof v === 'object' && v !== null && typeof v.create === 'function' && typeof v.classify === 'function';
}

export function resolveManagerOptions(input: unknown): ResolvedManagerOptions {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      throw new PoolOptionsError(issue.keys.map((k) => [...issue.path, k].join('.')).join(', '), 'unknown option');
    }
    throw new PoolOptionsError(issue && issue.path.length > 0 ? issue.path.join('.') : 'options', issue?.message ?? 'invalid');
  }
  const o = parsed.data;
  if (o.defaultPoolSize > o.maxTotalConnections) {
    throw new PoolOptionsError('defaultPoolSize', `must not exceed maxTotalConnections (${o.maxTotalConnections})`);
  }
  if (o.retryBaseDelayMs > o.retryMaxDelayMs) {
    throw new PoolOptionsError('retryBaseDelayMs', `must not exceed retryMaxDelayMs (${o.retryMaxDelayMs})`);
  }
  return {
    ...o,
    sweepIntervalMs: Math.min(o.sweepIntervalMs ?? 60_000, o.idleTimeoutMs),
    adapters: o.adapters,
    beforeConnect: o.beforeConnect,
  };
}
