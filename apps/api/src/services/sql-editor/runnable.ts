// What a run of a procedure needs of its record (name, whether and when it was published, the
// published text for error lines), kept per instance so an execute does not read the system
// database for it. Publish, rename and delete announce the change over the invalidation channel
// inside their transaction (decision 024); the TTL is the backstop for changes made outside the
// app, as for cached targets (decision 022).
import { DEFAULT_AUTH_CACHE, TtlCache, type AuthCacheOptions } from '../auth-cache';
import type { Invalidation, InvalidationChannel, InvalidationSubscriber } from '../invalidation';

export interface RunnableProcedure {
  id: string;
  workspaceId: string;
  status: 'draft' | 'published';
  schema: string;
  procedureName: string;
  qualifiedName: string;
  sqlPublished: string | null;
  publishedAt: Date | null;
}

export class RunnableProcedures implements InvalidationSubscriber {
  readonly #entries: TtlCache<RunnableProcedure>;
  /** Bumped by every change: a record read while one arrived is used for its call, not kept. */
  #generation = 0;

  constructor(
    /** Without a channel nothing is cached: every run reads the record. */
    private readonly invalidation: InvalidationChannel | undefined,
    private readonly options: AuthCacheOptions = DEFAULT_AUTH_CACHE,
  ) {
    this.#entries = new TtlCache(options.maxEntries);
    invalidation?.subscribe(this);
  }

  /** Served only while changes made by any instance are sure to reach this one. */
  get #usable(): boolean {
    return this.invalidation !== undefined && this.invalidation.listening && this.options.ttlMs > 0;
  }

  /** The record from the cache, or read (and kept) by `read`; a missing record is never kept. */
  async get(workspaceId: string, procedureId: string, read: () => Promise<RunnableProcedure>): Promise<RunnableProcedure> {
    const key = `${workspaceId}:${procedureId}`;
    const usable = this.#usable;
    const hit = usable ? this.#entries.get(key, Date.now()) : undefined;
    if (hit) return hit;
    const generation = this.#generation;
    const fresh = await read();
    if (usable && generation === this.#generation) this.#entries.set(key, fresh, Date.now() + this.options.ttlMs);
    return fresh;
  }

  /**
   * Announces that a procedure's record changed (published, renamed, deleted): every instance drops
   * it. Inside an `atomically` scope the announcement commits with the change.
   */
  async announce(workspaceId: string, procedureId: string): Promise<void> {
    if (this.invalidation) await this.invalidation.publish({ kind: 'procedure', workspaceId, procedureId });
  }

  changed(message: Invalidation): void {
    if (message.kind !== 'procedure') return;
    this.#entries.delete(`${message.workspaceId}:${message.procedureId}`);
    this.#generation += 1;
  }

  missed(): void {
    this.#entries.clear();
    this.#generation += 1;
  }
}
