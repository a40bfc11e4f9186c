// The one cross-instance invalidation channel: "this changed, drop what you cached from it". Cached
// workspace pools and cached principals (auth-cache.ts) subscribe to it. On a PostgreSQL system
// database it is LISTEN/NOTIFY, so it reaches every instance on that database; the embedded PGlite
// is one process by construction, so there it is a fan-out in memory.
import { randomUUID } from 'node:crypto';
import type { Database, StudioDatabase } from '@studio/db';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { afterTransaction, inTransaction } from './unit-of-work';

/**
 * What changed. Session ids travel as their sha256 (what the sessions table stores), never as the
 * bearer secret; tokens by id, never by value.
 */
/** How a pool change lands: `drop` closes the connection's pools, `replace` lets busy ones serve on (workspace-pools.ts). */
export const invalidationModeSchema = z.enum(['drop', 'replace']);
export type InvalidationMode = z.infer<typeof invalidationModeSchema>;

export const invalidationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pool'), workspaceId: z.string(), connectionId: z.string(), mode: invalidationModeSchema.default('drop') }),
  /** One session ended (sign-out, revoked by its owner). */
  z.object({ kind: z.literal('session'), storedSessionId: z.string() }),
  /** Something every principal of this person was built from: sessions ended, deactivated, password, name. */
  z.object({ kind: z.literal('user'), userId: z.string() }),
  /** A membership's role changed or the member left (and the tokens they made there with them). */
  z.object({ kind: z.literal('member'), workspaceId: z.string(), userId: z.string() }),
  z.object({ kind: z.literal('token'), tokenId: z.string() }),
  /** A workspace's environments or a connection's console access changed: cached targets go (workspace-databases.ts); pools stay. */
  z.object({ kind: z.literal('targets'), workspaceId: z.string() }),
  /** A SQL editor procedure was published, renamed or deleted: its cached record goes (sql-editor/runnable.ts). */
  z.object({ kind: z.literal('procedure'), workspaceId: z.string(), procedureId: z.string() }),
]);

export type Invalidation = z.infer<typeof invalidationSchema>;

export interface InvalidationSubscriber {
  /** A change made by this instance (after its transaction ended) or announced by another one. */
  changed(message: Invalidation): void;
  /** Changes may have been missed (the listener was away and is back): drop everything cached. */
  missed(): void;
}

export interface InvalidationChannel {
  readonly name: string;
  /** False while changes announced by other instances may not arrive (the listener is lost). */
  readonly listening: boolean;
  subscribe(subscriber: InvalidationSubscriber): void;
  /**
   * Announces a change. Inside an `atomically` scope the announcement is part of the transaction:
   * other instances hear it only if and when it commits, this instance once it has ended.
   */
  publish(message: Invalidation): Promise<void>;
  close(): Promise<void>;
}

class Subscribers {
  readonly #all = new Set<InvalidationSubscriber>();

  constructor(private readonly logger: Logger) {}

  add(subscriber: InvalidationSubscriber): void {
    this.#all.add(subscriber);
  }

  remove(subscriber: InvalidationSubscriber): void {
    this.#all.delete(subscriber);
  }

  changed(message: Invalidation): void {
    for (const subscriber of this.#all) this.#safely(() => subscriber.changed(message));
  }

  missed(): void {
    for (const subscriber of this.#all) this.#safely(() => subscriber.missed());
  }

  #safely(apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.logger.warn({ err: { message: messageOf(error) } }, 'invalidation not applied');
    }
  }
}

/** Everything that shares one embedded database in this process hears the same changes. */
const inProcessByDatabase = new WeakMap<object, Subscribers>();

/**
 * The embedded PGlite's channel: every set of services built on the same database handle hears a
 * change once the transaction that made it has ended. Nothing can be missed, so it always listens.
 */
export class InProcessInvalidation implements InvalidationChannel {
  readonly name: string = 'in-process';
  readonly listening = true;
  readonly #shared: Subscribers;
  readonly #mine: InvalidationSubscriber[] = [];

  constructor(database: object, logger: Logger) {
    let shared = inProcessByDatabase.get(database);
    if (!shared) {
      shared = new Subscribers(logger);
      inProcessByDatabase.set(database, shared);
    }
    this.#shared = shared;
  }

  subscribe(subscriber: InvalidationSubscriber): void {
    this.#mine.push(subscriber);
    this.#shared.add(subscriber);
  }

  async publish(message: Invalidation): Promise<void> {
    await afterTransaction(async () => this.#shared.changed(message));
  }

  async close(): Promise<void> {
    for (const subscriber of this.#mine.splice(0)) this.#shared.remove(subscriber);
  }
}

/**
 * The channel name predates the auth messages; it is kept so instances of the previous version,
 * which only understand pool messages (and ignore the rest), still hear those during an upgrade.
 */
export const INVALIDATION_CHANNEL = 'studio_pool_invalidation';
const RECONNECT_DELAY_MS = 2_000;

/** What goes over NOTIFY: the message and who sent it. A payload without `kind` is a pool message of the previous version. */
const notificationSchema = z.union([
  z.object({ origin: z.string(), message: invalidationSchema }),
  z.object({ origin: z.string(), workspaceId: z.string(), connectionId: z.string() }).transform(({ origin, workspaceId, connectionId }) => ({
    origin,
    message: { kind: 'pool' as const, workspaceId, connectionId, mode: 'drop' as const },
  })),
]);

/**
 * Cross-instance invalidation over the system PostgreSQL: each instance LISTENs on one dedicated
 * connection of the system pool and NOTIFYs after a change (inside the change's transaction when
 * there is one, so a change never commits unannounced and a rolled-back one is never announced).
 * While the listener is lost `listening` is false; once it listens again every subscriber is told
 * that changes may have been missed.
 */
export class PostgresInvalidation implements InvalidationChannel {
  readonly name: string = 'postgres-notify';
  readonly #origin = randomUUID();
  readonly #subscribers: Subscribers;
  #listener: pg.PoolClient | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;
  /** Listening has been lost at least once since start: the next successful start reports it as missed. */
  #missed = false;

  constructor(
    private readonly systemPool: pg.Pool,
    /** The services' scoped handle: a NOTIFY joins the transaction of the current `atomically` scope. */
    private readonly db: StudioDatabase,
    private readonly logger: Logger,
  ) {
    this.#subscribers = new Subscribers(logger);
  }

  get listening(): boolean {
    return this.#listener !== undefined;
  }

  subscribe(subscriber: InvalidationSubscriber): void {
    this.#subscribers.add(subscriber);
  }

  async start(): Promise<void> {
    const client = await this.systemPool.connect();
    client.on('notification', (message) => this.#onNotification(message.payload));
    client.on('error', (error) => {
      this.logger.warn({ err: { message: error.message } }, 'invalidation listener lost; reconnecting');
      this.#missed = true;
      this.#drop(client);
      this.#scheduleReconnect();
    });
    await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    if (this.#closed) {
      client.release(true);
      return;
    }
    if (this.#missed) {
      this.#missed = false;
      this.logger.warn('invalidation listener is back; dropping every cached pool and principal in case a change was missed');
      this.#subscribers.missed();
    }
    this.#listener = client;
  }

  async publish(message: Invalidation): Promise<void> {
    const payload = JSON.stringify({ origin: this.#origin, message });
    const notify = this.db.execute(sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`);
    // In a transaction a failed NOTIFY fails the change with it; after the fact it can only be logged.
    if (inTransaction()) await notify;
    else await notify.catch((error: unknown) => this.logger.warn({ err: { message: messageOf(error) }, kind: message.kind }, 'invalidation not broadcast'));
    await afterTransaction(async () => this.#subscribers.changed(message));
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
    const notification = notificationSchema.safeParse(parsed);
    if (!notification.success || notification.data.origin === this.#origin) return;
    this.#subscribers.changed(notification.data.message);
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
        this.logger.warn({ err: { message: messageOf(error) } }, 'invalidation listener reconnect failed');
        this.#scheduleReconnect();
      });
    }, RECONNECT_DELAY_MS);
    this.#reconnect.unref();
  }
}

/** LISTEN/NOTIFY on a PostgreSQL system database, in memory on the embedded PGlite. */
export async function createInvalidationChannel(database: Database, db: StudioDatabase, logger: Logger): Promise<InvalidationChannel> {
  if (database.kind !== 'pg') return new InProcessInvalidation(database.client, logger);
  const channel = new PostgresInvalidation(database.client, db, logger);
  await channel.start();
  return channel;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
