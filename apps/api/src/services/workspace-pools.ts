// The process's one WorkspacePoolManager (MISSION F4) and what the API needs around it: logged
// driver events and invalidation when a connection changes. Targets come from workspace-databases.ts.
import { randomUUID } from 'node:crypto';
import { WorkspacePoolManager, type WorkspacePoolManagerOptions } from '@studio/mssql-pool';
import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';

/** Creates the manager and logs its driver 'error' and 'unhealthy' events (keys and messages only, no settings). */
export function createPoolManager(logger: Logger, options: WorkspacePoolManagerOptions = {}): WorkspacePoolManager {
  const pools = new WorkspacePoolManager(options);
  pools.on('error', (event) => logger.warn({ pool: event.key, type: event.type, err: { message: messageOf(event.error) } }, 'workspace database driver error (handled)'));
  pools.on('failover', (event) =>
    logger.warn({ pool: event.key, type: event.type, from: event.from, to: event.to, inFlight: event.inFlight }, 'workspace pool failed over to another server'),
  );
  pools.on('replaceFailed', (event) =>
    logger.warn({ pool: event.key, type: event.type, reason: event.reason, current: event.current, err: { message: messageOf(event.error) } }, 'new workspace pool settings could not log in; the current pool keeps serving'),
  );
  pools.on('unhealthy', (event) =>
    logger.warn(
      { pool: event.key, type: event.type, phase: event.phase, failures: event.consecutiveFailures, circuitOpen: event.circuitOpen, err: { message: messageOf(event.error) } },
      'workspace pool unhealthy',
    ),
  );
  return pools;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * "This connection changed: drop cached pools for it." The in-process implementation invalidates
 * this instance's manager; `PostgresPoolInvalidation` also tells every other API instance on the
 * same system database (LISTEN/NOTIFY). Callers do not know which one they hold.
 *
 * `drop` (a delete, the default) closes every pool of the connection. `replace` (a saved change)
 * closes only pools with no work in flight: a busy one serves on, and its callers' next targets
 * carry the new settings, which the pool manager logs in before moving anyone to them.
 */
export type InvalidationMode = 'drop' | 'replace';

export interface PoolInvalidation {
  readonly name: string;
  connectionChanged(workspaceId: string, connectionId: string, mode?: InvalidationMode): Promise<void>;
  close(): Promise<void>;
}

export class InProcessPoolInvalidation implements PoolInvalidation {
  readonly name: string = 'in-process';

  constructor(
    private readonly pools: WorkspacePoolManager,
    private readonly logger: Logger,
  ) {}

  async connectionChanged(workspaceId: string, connectionId: string, mode: InvalidationMode = 'drop'): Promise<void> {
    await this.applyLocally(workspaceId, connectionId, mode);
  }

  /** Also what a cross-instance listener calls when another instance announces a change. */
  async applyLocally(workspaceId: string, connectionId: string, mode: InvalidationMode = 'drop'): Promise<void> {
    if (this.pools.closed) return;
    // The old pool drains in the background (up to drainTimeoutMs); callers need not wait for it.
    const closing = mode === 'replace' ? this.pools.refresh({ workspaceId, connectionId }) : this.pools.invalidate({ workspaceId, connectionId });
    closing.catch((error: unknown) => this.logger.warn({ err: { message: messageOf(error) }, connectionId }, 'pool invalidation failed'));
  }

  /** Every cached pool of this instance: for when changes may have been missed. */
  async applyAll(): Promise<void> {
    if (this.pools.closed) return;
    const workspaceIds = new Set(this.pools.stats().pools.map((pool) => pool.workspaceId));
    for (const workspaceId of workspaceIds) {
      this.pools.invalidate(workspaceId).catch((error: unknown) => this.logger.warn({ err: { message: messageOf(error) }, workspaceId }, 'pool invalidation failed'));
    }
  }

  async close(): Promise<void> {
    // Nothing held: the pool manager is closed by its owner.
  }
}

export const INVALIDATION_CHANNEL = 'studio_pool_invalidation';
const RECONNECT_DELAY_MS = 2_000;

const notificationSchema = z.object({ origin: z.string(), workspaceId: z.string(), connectionId: z.string(), mode: z.enum(['drop', 'replace']).default('drop') });

/**
 * Cross-instance invalidation over the system PostgreSQL: each instance LISTENs on one dedicated
 * connection of the system pool and NOTIFYs after a change. A lost listener reconnects; changes
 * announced while it was away are missed, so once it listens again every cached pool of this
 * instance is invalidated (new callers get fresh pools built from the current settings).
 */
export class PostgresPoolInvalidation implements PoolInvalidation {
  readonly name: string = 'postgres-notify';
  readonly #origin = randomUUID();
  #listener: pg.PoolClient | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly systemPool: pg.Pool,
    private readonly local: InProcessPoolInvalidation,
    private readonly logger: Logger,
  ) {}

  /** Listening has been lost at least once since start: the next successful start invalidates all. */
  #missed = false;

  async start(): Promise<void> {
    const client = await this.systemPool.connect();
    client.on('notification', (message) => this.#onNotification(message.payload));
    client.on('error', (error) => {
      this.logger.warn({ err: { message: error.message } }, 'pool invalidation listener lost; reconnecting');
      this.#missed = true;
      this.#drop(client);
      this.#scheduleReconnect();
    });
    await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    if (this.#closed) {
      client.release(true);
      return;
    }
    this.#listener = client;
    if (this.#missed) {
      this.#missed = false;
      this.logger.warn('pool invalidation listener is back; invalidating every cached pool in case a change was missed');
      await this.local.applyAll();
    }
  }

  async connectionChanged(workspaceId: string, connectionId: string, mode: InvalidationMode = 'drop'): Promise<void> {
    await this.local.applyLocally(workspaceId, connectionId, mode);
    const payload = JSON.stringify({ origin: this.#origin, workspaceId, connectionId, mode });
    await this.systemPool
      .query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, payload])
      .catch((error: unknown) => this.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'pool invalidation not broadcast'));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnect);
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.release(true);
  }

  #onNotification(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    const message = notificationSchema.safeParse(parsed);
    if (!message.success || message.data.origin === this.#origin) return;
    void this.local.applyLocally(message.data.workspaceId, message.data.connectionId, message.data.mode);
  }

  #drop(client: pg.PoolClient): void {
    if (this.#listener !== client) return;
    this.#listener = undefined;
    client.release(true);
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnect) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      this.start().catch((error: unknown) => {
        this.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'pool invalidation listener reconnect failed');
        this.#scheduleReconnect();
      });
    }, RECONNECT_DELAY_MS);
    this.#reconnect.unref();
  }
}
