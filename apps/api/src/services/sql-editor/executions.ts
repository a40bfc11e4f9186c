// Running executions of this process, so `sqlEditor.cancel({ executionId })` can reach the
// request that `sqlEditor.execute` started (possibly from another HTTP request of the same user).
// Per process by design: a cancel must land on the instance running the request; the client
// sends both calls to the same API (sticky sessions behind a load balancer). createServices
// builds one per app, so running executions live exactly as long as the app.
import { ConflictError, NotFoundError } from '../errors';

/** What the editor's executions carry beyond the common fields; the console's runs name a connection. */
export interface ExecutionSubject {
  procedureId: string;
}

export type RunningExecution<Subject extends object = ExecutionSubject> = Subject & {
  id: string;
  workspaceId: string;
  /** `user:<id>` or `token:<id>`: only the same principal may cancel. */
  owner: string;
  startedAt: Date;
  /** Asks the running request to stop (TDS attention); idempotent. */
  cancel(): void;
  readonly cancelRequested: boolean;
};

export class ExecutionRegistry<Subject extends object = ExecutionSubject> {
  readonly #running = new Map<string, RunningExecution<Subject>>();

  get size(): number {
    return this.#running.size;
  }

  /** Registers an execution; its cancel is wired once the driver request exists (`attach`). */
  start(init: Omit<RunningExecution<Subject>, 'cancel' | 'cancelRequested' | 'startedAt'>): { execution: RunningExecution<Subject>; attach(cancel: () => void): void; finish(): void } {
    if (this.#running.has(init.id)) throw new ConflictError('An execution with this id is already running', { field: 'executionId' });
    let requested = false;
    let target: (() => void) | undefined;
    const execution = {
      ...init,
      startedAt: new Date(),
      cancel: () => {
        if (requested) return;
        requested = true;
        target?.();
      },
      get cancelRequested() {
        return requested;
      },
    } as RunningExecution<Subject>;
    this.#running.set(init.id, execution);
    return {
      execution,
      attach: (cancel) => {
        target = cancel;
        if (requested) cancel();
      },
      finish: () => {
        if (this.#running.get(init.id) === execution) this.#running.delete(init.id);
      },
    };
  }

  /** Asks every running execution to stop (app shutdown); each call then answers `cancelled`. */
  cancelAll(): void {
    for (const execution of this.#running.values()) execution.cancel();
  }

  /** The running execution of this workspace with this id; NOT_FOUND when finished or unknown. */
  find(workspaceId: string, executionId: string): RunningExecution<Subject> {
    const execution = this.#running.get(executionId);
    if (!execution || execution.workspaceId !== workspaceId) throw new NotFoundError('Running execution', { field: 'executionId' });
    return execution;
  }
}
