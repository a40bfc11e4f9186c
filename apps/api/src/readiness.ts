// /readyz (MISSION F11): ready means the system database answers, its migrations are current and
// this instance's key ring reads the credentials stored there. /healthz only says the process is
// up; a load balancer should route by this one. A Redis outage leaves the instance ready but
// "degraded" (rate limits are counted per instance until Redis is back).
import { Migrator, type Database } from '@studio/db';
import { unavailableReasonOf } from '@studio/db/errors';
import type { Problem } from './problem';
import { KeyRingError } from './services/crypto';
import type { OutageMonitor } from './services/outages';

/** A readiness probe must answer even when the database hangs. */
const CHECK_DEADLINE_MS = 5_000;

export interface DegradedDependency {
  dependency: string;
  reason: string;
  since: string;
}

export type Readiness =
  | { ready: true; migrations: { applied: number }; degraded: DegradedDependency[] }
  | { ready: false; problem: Problem };

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

export interface ReadinessDependencies {
  /** Reports the system database's outages (and their end) like requests do. */
  outages?: OutageMonitor | undefined;
  /** Decrypts one stored credential (false when none is stored); throws KeyRingError when it cannot. */
  verifyKeyRing?: (() => Promise<boolean>) | undefined;
}

export class ReadinessCheck {
  readonly #migrator: Migrator;

  constructor(
    database: Database,
    private readonly deps: ReadinessDependencies = {},
  ) {
    this.#migrator = new Migrator(database);
  }

  async check(): Promise<Readiness> {
    let status: Awaited<ReturnType<Migrator['status']>>;
    try {
      status = await withDeadline(this.#migrator.status());
      this.deps.outages?.recovered('system_database');
    } catch (error) {
      this.deps.outages?.failed('system_database', error instanceof ReadinessTimeout ? 'timeout' : (unavailableReasonOf(error) ?? 'unknown'));
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
    if (this.deps.verifyKeyRing) {
      try {
        await withDeadline(this.deps.verifyKeyRing());
      } catch (error) {
        if (!(error instanceof KeyRingError)) return notReady('database_unavailable', 'The system database did not answer');
        return notReady('credential_unreadable', 'This instance cannot decrypt the stored credentials: its ENCRYPTION_KEYS differ from the ones they were sealed with', {
          keyError: error.code,
        });
      }
    }
    const degraded = (this.deps.outages?.outages ?? [])
      .filter((outage) => outage.dependency !== 'system_database')
      .map((outage) => ({ dependency: outage.dependency, reason: outage.reason, since: outage.since.toISOString() }));
    return { ready: true, migrations: { applied: status.entries.length }, degraded };
  }
}
