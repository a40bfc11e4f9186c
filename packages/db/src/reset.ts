import type { Database } from './client';
import { ResetRefusedError } from './errors';
import { Migrator, type MigrateResult, type MigratorOptions } from './migrator';
import { seed, type SeedOptions, type SeedResult } from './seed';

export interface ResetOptions {
  /** The caller's NODE_ENV; `production` refuses the reset. */
  nodeEnv: string | undefined;
  migrator?: MigratorOptions;
  seed?: SeedOptions;
}

/**
 * Development reset: drop everything in `public` (and the history table),
 * apply all migrations, seed. Refuses when NODE_ENV is production.
 */
export async function resetDatabase(
  database: Database,
  options: ResetOptions,
): Promise<{ migrations: MigrateResult; seed: SeedResult }> {
  if (options.nodeEnv === 'production') {
    throw new ResetRefusedError(
      `refusing to reset ${database.describe}: NODE_ENV is production. db:reset deletes every row; it is for development databases only.`,
    );
  }
  const migrations = await new Migrator(database, options.migrator).dropAndMigrate();
  const seeded = await seed(database.db, options.seed);
  return { migrations, seed: seeded };
}
