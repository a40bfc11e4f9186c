// What every operator command shares: services built from the environment against the system
// database, closed again however the command ends, and one way of turning the outcome into an exit
// code (0 done, 1 failed, 2 bad usage).
import { resolve } from 'node:path';
import { connectWithRetry, databaseOptionsFromEnv, type Database } from '@studio/db';
import { EnvError, loadEnv, type Env } from '../env';
import { createLogger } from '../logger';
import { closeServices, createServices, type AppServices, type CreateServicesOptions } from '../services/index';
import { loadKeyRing } from '../services/key-store';
import { outboundPolicyFromEnv } from '../services/outbound-policy';
import { memoryStore } from '../services/rate-limits';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  readonly code = 'usage';
}

type ExtraOptions = Partial<Pick<CreateServicesOptions, 'imports' | 'workspaceMigrations'>>;

/**
 * Runs `work` with the product's services on the environment's system database. Logs go to stderr
 * (warnings and up at the default level) so stdout stays the command's own output; no requests are
 * limited here, so rate-limit counters stay in memory and never touch the shared ones.
 */
export async function withOperatorServices<T>(extra: (env: Env) => ExtraOptions, work: (services: AppServices, env: Env) => Promise<T>): Promise<T> {
  const env = loadEnv(process.env);
  const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL, process.stderr);
  const baseDir = env.INIT_CWD ?? process.cwd();
  const keyRing = await loadKeyRing({ encryptionKeys: env.ENCRYPTION_KEYS, nodeEnv: env.NODE_ENV, dataDir: resolve(baseDir, env.DATA_DIR), logger });
  const database: Database = await connectWithRetry(databaseOptionsFromEnv(env, baseDir), {
    onRetry: ({ attempt, delayMs, error }) => logger.warn({ attempt, delayMs, err: error.message }, 'system database not ready, retrying'),
  });
  let services: AppServices | undefined;
  try {
    services = await createServices({
      database,
      keyRing,
      outboundPolicy: outboundPolicyFromEnv(env),
      logger,
      sessionTtlHours: env.SESSION_TTL_HOURS,
      rateLimitStore: memoryStore,
      ...extra(env),
    });
    return await work(services, env);
  } finally {
    if (services) await closeServices(services, { poolDrainDeadlineMs: 10_000 });
    await database.close();
  }
}

/** Runs a command's main and exits with its code: 2 for usage and environment mistakes, 1 for a failure. */
export function exitWith(name: string, outcome: Promise<number>): void {
  outcome.then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof EnvError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      const message = error instanceof Error && 'code' in error ? `${String((error as { code: unknown }).code)}: ${error.message}` : error instanceof Error ? error.message : String(error);
      process.stderr.write(`${name} failed: ${message}\n`);
      process.exit(1);
    },
  );
}
