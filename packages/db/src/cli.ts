// The db:* commands. The only module of this package that reads process.env.
import '../../../tooling/node-version';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectWithRetry, type Database } from './client';
import { draftDownMigration } from './down-template';
import { databaseEnvSchema, databaseOptionsFromEnv } from './env';
import { StudioDbError } from './errors';
import { defaultMigrationsDir, Migrator } from './migrator';
import { resetDatabase } from './reset';
import { seed, type SeedOptions } from './seed';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `usage: tsx src/cli.ts <command>
  migrate            apply pending migrations
  revert             revert the most recently applied migration
  status             list applied / pending / modified migrations (exit 1 on problems)
  generate NAME      diff the schema into migrations/NNNN_NAME.sql plus a .down.sql draft
  generate NAME --custom   an empty migration for hand-written SQL
  seed               idempotent seed (roles, admin/user, workspace twsbp)
  reset              drop everything, migrate, seed (refused when NODE_ENV=production)`;

const argsSchema = z.union([
  z.tuple([z.enum(['migrate', 'revert', 'status', 'seed', 'reset'])]),
  z.tuple([z.literal('generate'), z.string().regex(/^[a-z0-9_]{1,60}$/, 'NAME is lowercase letters, digits and _')]),
  z.tuple([
    z.literal('generate'),
    z.string().regex(/^[a-z0-9_]{1,60}$/, 'NAME is lowercase letters, digits and _'),
    z.literal('--custom'),
  ]),
]);

const cliEnvSchema = databaseEnvSchema.extend({
  NODE_ENV: z.string().optional(),
  INIT_CWD: z.string().optional(),
  SEED_ADMIN_PASSWORD: z.string().min(8, 'SEED_ADMIN_PASSWORD must be at least 8 characters').optional(),
  SEED_USER_PASSWORD: z.string().min(8, 'SEED_USER_PASSWORD must be at least 8 characters').optional(),
});

type CliEnv = z.infer<typeof cliEnvSchema>;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  // pnpm forwards a literal `--` when arguments follow the script name.
  const parsedArgs = argsSchema.safeParse(argv.filter((arg) => arg !== '--'));
  if (!parsedArgs.success) throw new UsageError(`${z.prettifyError(parsedArgs.error)}\n${USAGE}`);
  const [command, name, flag] = parsedArgs.data;

  if (command === 'generate') return generate(name, flag === '--custom');

  const envResult = cliEnvSchema.safeParse(process.env);
  if (!envResult.success) throw new UsageError(`invalid environment:\n${z.prettifyError(envResult.error)}`);
  const env = envResult.data;
  const baseDir = env.INIT_CWD ?? process.cwd();
  const options = databaseOptionsFromEnv(env, baseDir);

  const database = await connectWithRetry(options, {
    onRetry: ({ attempt, delayMs, error }) =>
      console.warn(`system database not ready (attempt ${attempt}: ${error.message}); retrying in ${delayMs} ms`),
  });
  try {
    const migrator = new Migrator(database, { log: (line) => console.log(line) });
    switch (command) {
      case 'migrate': {
        const { applied } = await migrator.migrate();
        console.log(applied.length > 0 ? `${database.describe}: ${applied.length} migration(s) applied` : `${database.describe}: up to date`);
        return 0;
      }
      case 'revert': {
        const reverted = await migrator.revert();
        if (!reverted) console.log(`${database.describe}: no applied migration to revert`);
        return 0;
      }
      case 'status':
        return await printStatus(migrator, database);
      case 'seed':
        await seed(database.db, seedOptions(env, database, options.dataDir));
        return 0;
      case 'reset': {
        await resetDatabase(database, {
          nodeEnv: env.NODE_ENV,
          migrator: { log: (line) => console.log(line) },
          seed: seedOptions(env, database, options.dataDir),
        });
        console.log(`${database.describe}: reset, migrated and seeded`);
        return 0;
      }
    }
  } finally {
    await database.close();
  }
}

function seedOptions(env: CliEnv, database: Database, dataDir: string | undefined): SeedOptions {
  return {
    adminPassword: env.SEED_ADMIN_PASSWORD,
    userPassword: env.SEED_USER_PASSWORD,
    log: (line) => console.log(line),
    credentialsFile:
      database.kind === 'pglite' && dataDir ? path.join(dataDir, 'initial-credentials.txt') : undefined,
  };
}

async function printStatus(migrator: Migrator, database: Database): Promise<number> {
  const status = await migrator.status();
  console.log(`${database.describe} (${migrator.migrationsDir})`);
  if (status.entries.length === 0) console.log('  no migrations');
  for (const entry of status.entries) {
    const when = entry.appliedAt ? `  applied ${entry.appliedAt.toISOString()}` : '';
    const note =
      entry.state === 'modified'
        ? `  file changed since it was applied (recorded ${entry.recordedChecksum?.slice(0, 12)}, now ${entry.checksum?.slice(0, 12)})`
        : entry.state === 'missing'
          ? '  applied, but the file is gone'
          : '';
    console.log(`  ${entry.state.toUpperCase().padEnd(8)} ${entry.name}${when}${note}`);
  }
  console.log(`${status.pending.length} pending, ${status.problems.length} problem(s)`);
  return status.problems.length > 0 ? 1 : 0;
}

async function listUpMigrations(): Promise<Set<string>> {
  if (!existsSync(defaultMigrationsDir)) return new Set();
  const files = await readdir(defaultMigrationsDir);
  return new Set(files.filter((file) => file.endsWith('.sql') && !file.endsWith('.down.sql')));
}

async function generate(name: string, custom: boolean): Promise<number> {
  const before = await listUpMigrations();
  const drizzleKit = path.join(packageDir, 'node_modules', '.bin', 'drizzle-kit');
  const args = ['generate', '--config', 'drizzle.config.ts', `--name=${name}`, ...(custom ? ['--custom'] : [])];
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(drizzleKit, args, { cwd: packageDir, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  if (exitCode !== 0) return exitCode;
  const created = [...(await listUpMigrations())].filter((file) => !before.has(file)).sort();
  if (created.length === 0) {
    // drizzle-kit exits 0 both when the schema is unchanged and on some errors; its output above says which.
    console.log('no migration file was written (see drizzle-kit output above)');
    return 0;
  }
  for (const file of created) {
    const downFile = path.join(defaultMigrationsDir, file.replace(/\.sql$/, '.down.sql'));
    const upSql = await readFile(path.join(defaultMigrationsDir, file), 'utf8');
    await writeFile(downFile, draftDownMigration(upSql, file), { flag: 'wx' });
    console.log(`wrote ${path.relative(packageDir, downFile)}: review it, then remove its first (marker) line`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = 2;
    } else if (error instanceof StudioDbError) {
      console.error(`error [${error.code}]: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
