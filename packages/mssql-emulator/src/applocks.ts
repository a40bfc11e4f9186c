/**
 * sp_getapplock / sp_releaseapplock: named locks per database, owned by a session or by the
 * session's current transaction. Shared locks are compatible with each other; every other mode
 * is treated as exclusive.
 */

export type AppLockOwnerKind = 'Session' | 'Transaction';

interface Holder {
  session: number;
  owner: AppLockOwnerKind;
  shared: boolean;
  count: number;
}

interface Waiter {
  session: number;
  owner: AppLockOwnerKind;
  shared: boolean;
  wake: () => void;
}

interface Resource {
  holders: Holder[];
  waiters: Waiter[];
}

/** sp_getapplock's return codes. */
export const AppLockResult = { GRANTED: 0, GRANTED_AFTER_WAIT: 1, TIMEOUT: -1, CANCELLED: -2, DEADLOCK: -3, ERROR: -999 } as const;

export class AppLocks {
  private readonly resources = new Map<string, Resource>();

  private compatible(r: Resource, session: number, owner: AppLockOwnerKind, shared: boolean): boolean {
    return r.holders.every((h) => (h.session === session && h.owner === owner) || (h.shared && shared));
  }

  private grant(r: Resource, session: number, owner: AppLockOwnerKind, shared: boolean): void {
    const mine = r.holders.find((h) => h.session === session && h.owner === owner);
    if (mine) {
      mine.count++;
      mine.shared = mine.shared && shared;
    } else {
      r.holders.push({ session, owner, shared, count: 1 });
    }
  }

  async acquire(
    resource: string,
    session: number,
    owner: AppLockOwnerKind,
    shared: boolean,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<number> {
    const key = resource.toLowerCase();
    let r = this.resources.get(key);
    if (!r) {
      r = { holders: [], waiters: [] };
      this.resources.set(key, r);
    }
    if (r.waiters.length === 0 && this.compatible(r, session, owner, shared)) {
      this.grant(r, session, owner, shared);
      return AppLockResult.GRANTED;
    }
    if (timeoutMs === 0) return AppLockResult.TIMEOUT;
    const res = r;
    return new Promise<number>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (code: number) => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const at = res.waiters.indexOf(waiter);
        if (at >= 0) res.waiters.splice(at, 1);
        resolve(code);
        if (code !== AppLockResult.GRANTED_AFTER_WAIT) this.wakeWaiters(key);
      };
      const onAbort = () => finish(AppLockResult.CANCELLED);
      const waiter: Waiter = {
        session,
        owner,
        shared,
        wake: () => {
          this.grant(res, session, owner, shared);
          finish(AppLockResult.GRANTED_AFTER_WAIT);
        },
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => finish(AppLockResult.TIMEOUT), timeoutMs);
        timer.unref();
      }
      signal.addEventListener('abort', onAbort, { once: true });
      res.waiters.push(waiter);
    });
  }

  /** Returns false when the caller does not hold the lock. */
  release(resource: string, session: number, owner: AppLockOwnerKind): boolean {
    const key = resource.toLowerCase();
    const r = this.resources.get(key);
    const mine = r?.holders.find((h) => h.session === session && h.owner === owner);
    if (!r || !mine) return false;
    mine.count--;
    if (mine.count === 0) r.holders.splice(r.holders.indexOf(mine), 1);
    this.wakeWaiters(key);
    return true;
  }

  /** Drops every lock of a session (on disconnect) or of its transaction (on commit/rollback). */
  releaseAll(session: number, owner?: AppLockOwnerKind): void {
    for (const [key, r] of this.resources) {
      const before = r.holders.length;
      r.holders = r.holders.filter((h) => h.session !== session || (owner !== undefined && h.owner !== owner));
      if (r.holders.length !== before) this.wakeWaiters(key);
    }
  }

  private wakeWaiters(key: string): void {
    const r = this.resources.get(key);
    if (!r) return;
    while (r.waiters.length > 0) {
      const w = r.waiters[0] as Waiter;
      if (!this.compatible(r, w.session, w.owner, w.shared)) break;
      w.wake();
    }
    if (r.holders.length === 0 && r.waiters.length === 0) this.resources.delete(key);
  }

  /** Locks currently held, for diagnostics and tests. */
  held(): Array<{ resource: string; session: number; owner: AppLockOwnerKind; shared: boolean; count: number }> {
    const out: Array<{ resource: string; session: number; owner: AppLockOwnerKind; shared: boolean; count: number }> = [];
    for (const [resource, r] of this.resources) for (const h of r.holders) out.push({ resource, ...h });
    return out;
  }
}
