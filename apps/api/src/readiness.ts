// /readyz (MISSION F11): ready means the system database answers and its migrations are current.
// /healthz only says the process is up; a load balancer should route by this one.
import { Migrator, type Database } from '@studio/db';
import type { Problem } from './problem';

/** A readiness probe must answer even when the database hangs. */
const CHECK_DEADLINE_MS = 5_000;

export type Readiness = { ready: true; migrations: { applied: number } } | { ready: false; problem: Problem };

class ReadinessTimeout extends Error {
  readonly code = 'readiness_timeout';
  constructor() {
    super(`the system database did not answer within ${CHECK_DEADLINE_MS} ms`);
    this.name = 'ReadinessTimeout';
  }
}

function withDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessTimeout()), CHECK_DEADLINE_MS);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function notReady(reason: string, message: string, details: Record<string, unknown> = {}): Readiness {
  return { ready: false, problem: { error: 'not_ready', message, details: { reason, ...details } } };
}

export class ReadinessCheck {
  readonly #migrator: Migrator;

  constructor(database: Database) {
    this.#migrator = new Migrator(database);
  }

  async check(): Promise<Readiness> {
    let status: Awaited<ReturnType<Migrator['status']>>;
    try {
      status = await withDeadline(this.#migrator.status());
    } catch (error) {
      // Driver messages can carry host names; the code is enough for a probe, the log has the rest.
      const code = (error as { code?: unknown }).code;
      return notReady('database_unavailable', error instanceof ReadinessTimeout ? error.message : 'The system database did not answer', {
        cause: typeof code === 'string' ? code : null,
      });
    }
    if (status.problems.length > 0) {
      return notReady('migrations_drifted', `Applied system migrations were changed or removed: ${status.problems.map((p) => `${p.name} (${p.state})`).join(', ')}`, {
        problems: status.problems.map((p) => ({ name: p.name, state: p.state })),
      });
    }
    if (status.pending.length > 0) {
      return notReady('migrations_pending', `System database migrations are pending: ${status.pending.join(', ')}`, { pending: [...status.pending] });
    }
    return { ready: true, migrations: { applied: status.entries.length } };
  }
}
