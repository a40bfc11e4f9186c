// Connection tests you can watch (issue 16 item 9): a run starts in the background and its steps
// are read as they finish (a long poll: `waitFor` answers as soon as there is something newer than
// what the reader has). A run belongs to the principal that started it (anyone else is told it does
// not exist), is held in this process's memory for `ttlMs` after it ends, and one principal holds at
// most `maxPerOwner` runs. Cancel aborts the run's signal: the tester closes its socket and the
// steps that had not finished are reported as cancelled. A run keeps only step results: the
// target (and its password) lives in the start closure, which is dropped when the run ends.
import { randomUUID } from 'node:crypto';
import { NotFoundError, RateLimitedError } from './errors';
import type { ConnectionTestResult, TestStep } from './connection-test';

export type TestRunState = 'running' | 'passed' | 'failed' | 'cancelled';

/** What a reader sees: the steps so far (in the order they finished) and, once ended, the result. */
export interface TestRunView {
  id: string;
  state: TestRunState;
  /** Counts every change (a step, the end): a reader passes the last one it saw to `waitFor`. */
  version: number;
  steps: TestStep[];
  result: ConnectionTestResult | null;
  startedAt: Date;
  endedAt: Date | null;
}

export interface TestRunOwner {
  workspaceId: string;
  /** `user:<id>` / `token:<id>`. */
  principal: string;
}

/** Runs the test; calls `onStep` for every step as it finishes and stops when `signal` aborts. */
export type TestRunWork = (hooks: { signal: AbortSignal; onStep: (step: TestStep) => void }) => Promise<ConnectionTestResult>;

export interface ConnectionTestRunsOptions {
  /** How long an ended run can still be read. Default 5 minutes. */
  ttlMs?: number;
  /** Runs (running or ended, not expired) one principal may hold in one workspace. Default 5. */
  maxPerOwner?: number;
  /** The longest one `waitFor` holds a reader. Default 10 s. */
  maxWaitMs?: number;
  now?: () => number;
}

interface Run extends TestRunOwner {
  view: TestRunView;
  controller: AbortController;
  endedAtMs: number | null;
  waiters: Set<() => void>;
}

export class ConnectionTestRuns {
  readonly ttlMs: number;
  readonly maxPerOwner: number;
  readonly maxWaitMs: number;
  readonly #now: () => number;
  readonly #runs = new Map<string, Run>();

  constructor(options: ConnectionTestRunsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.maxPerOwner = options.maxPerOwner ?? 5;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts `work` and answers the new run at once. When the owner already holds `maxPerOwner`
   * runs, the oldest ended one is forgotten; if all are still running, RateLimitedError.
   */
  start(owner: TestRunOwner, work: TestRunWork): TestRunView {
    this.#sweep();
    const held = [...this.#runs.values()].filter((run) => run.workspaceId === owner.workspaceId && run.principal === owner.principal);
    if (held.length >= this.maxPerOwner) {
      const oldestEnded = held.filter((run) => run.endedAtMs !== null).sort((a, b) => (a.endedAtMs ?? 0) - (b.endedAtMs ?? 0))[0];
      if (!oldestEnded) throw new RateLimitedError('connectionTestRuns', 5, this.maxPerOwner);
      this.#runs.delete(oldestEnded.view.id);
    }
    const run: Run = {
      ...owner,
      view: { id: randomUUID(), state: 'running', version: 0, steps: [], result: null, startedAt: new Date(this.#now()), endedAt: null },
      controller: new AbortController(),
      endedAtMs: null,
      waiters: new Set(),
    };
    this.#runs.set(run.view.id, run);
    const onStep = (step: TestStep) => {
      if (run.view.state !== 'running') return;
      run.view.steps = [...run.view.steps, step];
      this.#changed(run);
    };
    void work({ signal: run.controller.signal, onStep }).then(
      (result) => {
        if (run.view.state === 'running') this.#end(run, result.success ? 'passed' : 'failed', result);
      },
      () => {
        // The tester answers failures as results; an exception here is a cancel racing the end.
        if (run.view.state === 'running') this.#end(run, 'cancelled', null);
      },
    );
    return snapshot(run.view);
  }

  /** The owner's run as it is now. NotFoundError for an unknown, expired or someone else's run. */
  get(owner: TestRunOwner, runId: string): TestRunView {
    return snapshot(this.#find(owner, runId).view);
  }

  /**
   * The run once its version is past `afterVersion` (at once if it already is), or as it is after
   * `waitMs` (capped by `maxWaitMs`), or when `signal` aborts (the reader went away).
   */
  async waitFor(owner: TestRunOwner, runId: string, afterVersion: number, waitMs: number, signal?: AbortSignal): Promise<TestRunView> {
    const run = this.#find(owner, runId);
    if (run.view.version > afterVersion || run.view.state !== 'running' || waitMs <= 0) return snapshot(run.view);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        run.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(waitMs, this.maxWaitMs));
      timer.unref();
      run.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return snapshot(run.view);
  }

  /** Stops a running run (its unfinished steps read as cancelled); an ended run is left as it is. */
  cancel(owner: TestRunOwner, runId: string): TestRunView {
    const run = this.#find(owner, runId);
    if (run.view.state === 'running') {
      this.#end(run, 'cancelled', null);
      run.controller.abort();
    }
    return snapshot(run.view);
  }

  /** Stops every running run (the app is shutting down). */
  cancelAll(): void {
    for (const run of this.#runs.values()) {
      if (run.view.state !== 'running') continue;
      this.#end(run, 'cancelled', null);
      run.controller.abort();
    }
  }

  #find(owner: TestRunOwner, runId: string): Run {
    this.#sweep();
    const run = this.#runs.get(runId);
    if (!run || run.workspaceId !== owner.workspaceId || run.principal !== owner.principal) throw new NotFoundError('Connection test run', { runId });
    return run;
  }

  #end(run: Run, state: Exclude<TestRunState, 'running'>, result: ConnectionTestResult | null): void {
    run.endedAtMs = this.#now();
    run.view = { ...run.view, state, result, steps: result ? result.steps : run.view.steps, endedAt: new Date(run.endedAtMs) };
    this.#changed(run);
  }

  #changed(run: Run): void {
    run.view = { ...run.view, version: run.view.version + 1 };
    for (const wake of [...run.waiters]) wake();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, run] of this.#runs) {
      if (run.endedAtMs !== null && now - run.endedAtMs >= this.ttlMs) this.#runs.delete(id);
    }
  }
}

function snapshot(view: TestRunView): TestRunView {
  return { ...view, steps: [...view.steps] };
}
