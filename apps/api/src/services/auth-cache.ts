// Per-instance cache of who a request is: session → person, API token → its principal, (person,
// workspace) → the workspace and their role. Every writer of those facts publishes an invalidation
// (invalidation.ts) so a revocation counts on every instance at once; the TTL is only a backstop for
// changes made outside the app. Only positive answers are kept: an unknown token, a non-member or a
// missing workspace is asked again each time, so granting something never waits for a cache.
import type { WorkspaceRole } from '@studio/db/schema';
import type { Session, User } from 'lucia';
import type { TokenPrincipal } from './api-tokens';
import type { Invalidation, InvalidationChannel, InvalidationSubscriber } from './invalidation';
import { afterTransaction, inTransaction } from './unit-of-work';

export interface AuthCacheOptions {
  /** How long an entry may be served without asking the database again; 0 disables the cache. */
  ttlMs: number;
  /** Entries per kind (sessions, tokens, memberships); the least recently used goes first. */
  maxEntries: number;
}

export const DEFAULT_AUTH_CACHE: AuthCacheOptions = { ttlMs: 10_000, maxEntries: 10_000 };

/** A validated session without its id (the bearer secret): the key is the id's sha256. */
export interface CachedSession {
  session: Omit<Session, 'id' | 'fresh'>;
  user: User;
}

export interface CachedWorkspace {
  userId: string;
  id: string;
  slug: string;
  name: string;
  /** Undefined for a token's lookup (its role comes with the token). */
  role: WorkspaceRole | undefined;
}

/** A Map used as a bounded LRU with a per-entry deadline. */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.until <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, until: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (matches(entry.value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** What a caller gets before reading the database, and hands back to keep what it read. */
export type FillTicket = number & { readonly __fillTicket: unique symbol };

export class AuthCache implements InvalidationSubscriber {
  readonly sessions: TtlCache<CachedSession>;
  readonly tokens: TtlCache<TokenPrincipal>;
  readonly workspaces: TtlCache<CachedWorkspace>;
  /**
   * Bumped by every invalidation: an answer read from the database while one arrived may predate
   * the change, so it is used for that request but not kept.
   */
  #generation = 0;
  readonly #loading = new Map<string, Promise<unknown>>();

  constructor(
    /** Undefined: changes are applied to this cache only (a service built on its own, in a tool or test). */
    private readonly channel: InvalidationChannel | undefined,
    private readonly options: AuthCacheOptions = DEFAULT_AUTH_CACHE,
  ) {
    this.sessions = new TtlCache(options.maxEntries);
    this.tokens = new TtlCache(options.maxEntries);
    this.workspaces = new TtlCache(options.maxEntries);
    channel?.subscribe(this);
  }

  /** Served from the cache only while changes elsewhere are sure to reach it. */
  get #usable(): boolean {
    return this.options.ttlMs > 0 && (this.channel?.listening ?? true);
  }

  get<V>(store: TtlCache<V>, key: string): V | undefined {
    return this.#usable ? store.get(key, Date.now()) : undefined;
  }

  ticket(): FillTicket {
    return this.#generation as FillTicket;
  }

  /**
   * One lookup for callers that miss the same key together (a token's entry expiring under 1,000
   * clients is one statement, not 1,000 queued for the pool). A caller that comes after a change
   * was heard starts its own: it never gets an answer read before a revocation it follows.
   */
  shared<V>(kind: string, key: string, load: () => Promise<V>): Promise<V> {
    // Inside a transaction the lookup may see rows no one else can yet.
    if (inTransaction()) return load();
    const flightKey = `${this.#generation}\u0000${kind}\u0000${key}`;
    const flying = this.#loading.get(flightKey) as Promise<V> | undefined;
    if (flying) return flying;
    const loading = load().finally(() => this.#loading.delete(flightKey));
    this.#loading.set(flightKey, loading);
    return loading;
  }

  /** Keeps `value` until the backstop TTL or `notAfter` (the session's or token's own expiry), whichever comes first. */
  keep<V>(store: TtlCache<V>, key: string, value: V, ticket: FillTicket, notAfter?: Date | null): void {
    if (!this.#usable || ticket !== this.#generation) return;
    const until = Math.min(Date.now() + this.options.ttlMs, notAfter?.getTime() ?? Number.POSITIVE_INFINITY);
    store.set(key, value, until);
  }

  /**
   * Announces a change to every instance (this one included). Writers call it after their own
   * statement or transaction: inside an `atomically` scope it commits with the change.
   */
  async publish(message: Invalidation): Promise<void> {
    if (this.channel) await this.channel.publish(message);
    else await afterTransaction(async () => this.changed(message));
  }

  changed(message: Invalidation): void {
    switch (message.kind) {
      case 'pool':
      case 'targets':
      case 'connections':
      case 'procedure':
        return;
      case 'session':
        this.sessions.delete(message.storedSessionId);
        break;
      case 'user': {
        const { userId } = message;
        this.sessions.deleteWhere((entry) => entry.user.id === userId);
        this.workspaces.deleteWhere((entry) => entry.userId === userId);
        this.tokens.deleteWhere((entry) => entry.createdBy === userId);
        break;
      }
      case 'member': {
        const { workspaceId, userId } = message;
        this.workspaces.deleteWhere((entry) => entry.id === workspaceId && entry.userId === userId);
        this.tokens.deleteWhere((entry) => entry.workspaceId === workspaceId && entry.createdBy === userId);
        break;
      }
      case 'token':
        this.tokens.deleteWhere((entry) => entry.tokenId === message.tokenId);
        break;
    }
    this.#generation += 1;
  }

  missed(): void {
    this.sessions.clear();
    this.tokens.clear();
    this.workspaces.clear();
    this.#generation += 1;
  }
}
