/** A FIFO mutex whose waits can be abandoned (request cancelled) or time out. */

export class LockTimeoutError extends Error {
  readonly code = 'ELOCKTIMEOUT';
  constructor() {
    super('Lock request time out period exceeded.');
    this.name = 'LockTimeoutError';
  }
}

export class LockAbortedError extends Error {
  readonly code = 'ELOCKABORTED';
  constructor() {
    super('Lock wait cancelled.');
    this.name = 'LockAbortedError';
  }
}

interface Waiter {
  grant: () => void;
  owner: unknown;
}

const YIELD_EVERY_MS = 4;

export class Mutex {
  private lastYield = 0;
  private holder: unknown = undefined;
  private held = false;
  private readonly waiters: Waiter[] = [];

  get isLocked(): boolean {
    return this.held;
  }

  get owner(): unknown {
    return this.holder;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Waits for the lock. `timeoutMs` < 0 waits forever; 0 fails at once when the lock is taken.
   * Resolves with a release function that is safe to call more than once.
   */
  acquire(owner: unknown, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<() => void> {
    const release = this.releaser();
    if (!this.held) {
      this.held = true;
      this.holder = owner;
      return Promise.resolve(release);
    }
    const { signal, timeoutMs = -1 } = options;
    if (timeoutMs === 0) return Promise.reject(new LockTimeoutError());
    if (signal?.aborted) return Promise.reject(new LockAbortedError());
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        owner,
        grant: () => {
          cleanup();
          resolve(release);
        },
      };
      const remove = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
      };
      const onAbort = () => {
        cleanup();
        remove();
        reject(new LockAbortedError());
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          cleanup();
          remove();
          reject(new LockTimeoutError());
        }, timeoutMs);
        timer.unref();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) {
        this.holder = next.owner;
        // PGlite work completes through promise chains alone, so handing the lock straight on
        // would let a queue of waiters starve socket I/O (logins, ATTENTION, timeouts). Yield to
        // the event loop every few milliseconds, but not on every handoff (that costs throughput).
        const now = performance.now();
        if (now - this.lastYield > YIELD_EVERY_MS) {
          this.lastYield = now;
          setImmediate(() => next.grant());
        } else {
          next.grant();
        }
      } else {
        this.held = false;
        this.holder = undefined;
      }
    };
  }
}
