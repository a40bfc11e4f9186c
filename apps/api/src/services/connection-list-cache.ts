// Pages of a workspace's connection list, kept per instance as they were presented (decision 023).
// A list call then costs no system-database statement, no row mapping and no presentation; the
// REST layer also writes the same JSON again (output-projection.ts, rest/handler.ts: a frozen answer
// is cut and serialised once). Every writer of what the list shows announces a `connections`
// message inside its transaction; this cache drops the workspace's pages when it hears one.

/** Rows kept over all pages (a web page asks for 200 at a time); oldest pages out first. */
export const LIST_CACHE_MAX_ROWS = 50_000;

interface CachedPage<P> {
  page: P;
  rows: number;
  until: number;
}

/**
 * Pages by workspace, then by what picks the page (view, cursor, size). Only the workspace level
 * needs dropping, so an invalidation is one `delete`, whatever the number of pages.
 */
export class ConnectionListCache<P> {
  readonly #byWorkspace = new Map<string, Map<string, CachedPage<P>>>();
  /** Least recently filled first: what a row budget overrun evicts. */
  readonly #order = new Map<string, { workspaceId: string; pageKey: string }>();
  #rows = 0;

  constructor(private readonly maxRows: number = LIST_CACHE_MAX_ROWS) {}

  get rows(): number {
    return this.#rows;
  }

  get(workspaceId: string, pageKey: string, now: number): P | undefined {
    const entry = this.#byWorkspace.get(workspaceId)?.get(pageKey);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#delete(workspaceId, pageKey);
      return undefined;
    }
    return entry.page;
  }

  set(workspaceId: string, pageKey: string, page: P, rows: number, until: number): void {
    this.#delete(workspaceId, pageKey);
    let pages = this.#byWorkspace.get(workspaceId);
    if (!pages) {
      pages = new Map();
      this.#byWorkspace.set(workspaceId, pages);
    }
    pages.set(pageKey, { page, rows, until });
    this.#order.set(orderKey(workspaceId, pageKey), { workspaceId, pageKey });
    this.#rows += rows;
    for (const [key, oldest] of this.#order) {
      if (this.#rows <= this.maxRows) break;
      this.#order.delete(key);
      this.#delete(oldest.workspaceId, oldest.pageKey);
    }
  }

  dropWorkspace(workspaceId: string): void {
    const pages = this.#byWorkspace.get(workspaceId);
    if (!pages) return;
    for (const [pageKey, entry] of pages) {
      this.#rows -= entry.rows;
      this.#order.delete(orderKey(workspaceId, pageKey));
    }
    this.#byWorkspace.delete(workspaceId);
  }

  clear(): void {
    this.#byWorkspace.clear();
    this.#order.clear();
    this.#rows = 0;
  }

  #delete(workspaceId: string, pageKey: string): void {
    const pages = this.#byWorkspace.get(workspaceId);
    const entry = pages?.get(pageKey);
    if (!pages || !entry) return;
    pages.delete(pageKey);
    if (pages.size === 0) this.#byWorkspace.delete(workspaceId);
    this.#order.delete(orderKey(workspaceId, pageKey));
    this.#rows -= entry.rows;
  }
}

function orderKey(workspaceId: string, pageKey: string): string {
  return `${workspaceId}\u0000${pageKey}`;
}

/**
 * Freezes an answer that many callers will be handed as it is: a caller that tried to change it
 * would change everyone's (it throws instead), and the output cut and the REST writer recognise a
 * frozen answer and do their work on it once. Dates stay Dates (their value cannot be frozen, and
 * nothing here sets it).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || value instanceof Date || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
