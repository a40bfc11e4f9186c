// `pnpm db:backup` / `pnpm db:restore`: backups of the system database from the command line, with
// the API's environment (DATABASE_URL or DATA_DIR, ENCRYPTION_KEYS, BACKUP_*). The restore ends
// with a decryption probe, which needs the API's key ring: that is why these live here and not in
// @studio/db, which holds the format, the dump and the load.
import '../../../../tooling/node-version';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BackupError,
  connectWithRetry,
  databaseOptionsFromEnv,
  restoreBackup,
  StudioDbError,
  type Database,
  type DatabaseOptionsInput,
  type RestoreReport,
} from '@studio/db';
import { backupRuns, connections } from '@studio/db/schema';
import { eq, isNotNull } from 'drizzle-orm';
import { backupConfigOf } from '../app';
import { EnvError, loadEnv, type Env } from '../env';
import { createLogger } from '../logger';
import { AuditService } from '../services/audit';
import { BackupService } from '../services/backups';
import { credentialContext } from '../services/connections';
import { KeyRingError, type KeyRing } from '../services/crypto';
import { DEV_KEY_FILE, loadKeyRing } from '../services/key-store';
import { scopedDatabase } from '../services/unit-of-work';

export const USAGE = `usage:
  db:backup [--out DIR]
      write a backup of the system database to DIR (default BACKUP_DIR, else <DATA_DIR>/backups),
      then apply retention (BACKUP_KEEP, BACKUP_MAX_AGE_DAYS)
  db:restore FILE [--into URL | --data-dir DIR] [--force]
      restore FILE into the configured system database, a PostgreSQL server (--into postgres://…)
      or an embedded PGlite folder (--data-dir); refuses a database holding rows unless --force`;

export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export type BackupArgs =
  | { command: 'backup'; out: string | undefined }
  | { command: 'restore'; file: string; into: string | undefined; dataDir: string | undefined; force: boolean };

/** Flags by name; `--out=DIR` and `--out DIR` both work; anything unknown is refused by name. */
export function parseBackupArgs(argv: readonly string[]): BackupArgs {
  const words = argv.filter((arg) => arg !== '--');
  const [command, ...rest] = words;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  const takesValue = new Set(['--out', '--into', '--data-dir']);
  for (let i = 0; i < rest.length; i += 1) {
    const word = rest[i] as string;
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const [name, inline] = word.split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === '--force') {
      if (inline !== undefined) throw new UsageError('--force takes no value');
      flags.set(name, true);
      continue;
    }
    if (!takesValue.has(name)) throw new UsageError(`unknown argument "${word}"`);
    const value = inline ?? rest[i + 1];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    if (inline === undefined) i += 1;
    flags.set(name, value);
  }
  const allowed = command === 'backup' ? ['--out'] : command === 'restore' ? ['--into', '--data-dir', '--force'] : [];
  if (command !== 'backup' && command !== 'restore') throw new UsageError(command === undefined ? 'a command is required' : `unknown command "${command}"`);
  for (const name of flags.keys()) if (!allowed.includes(name)) throw new UsageError(`${name} does not apply to "${command}"`);
  const text = (name: string) => {
    const value = flags.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  if (command === 'backup') {
    if (positional.length > 0) throw new UsageError(`unexpected "${positional[0]}"`);
    return { command, out: text('--out') };
  }
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'FILE is required' : `unexpected "${positional[1]}"`);
  const into = text('--into');
  const dataDir = text('--data-dir');
  if (into !== undefined && dataDir !== undefined) throw new UsageError('give --into or --data-dir, not both');
  if (into !== undefined && !/^postgres(ql)?:\/\//.test(into)) throw new UsageError('--into must be a postgres:// URL');
  return { command, file: positional[0] as string, into, dataDir, force: flags.has('--force') };
}

export type ProbeResult =
  | { state: 'ok'; connectionId: string; keyVersion: number }
  | { state: 'none' }
  | { state: 'wrong_key_ring'; connectionId: string; keyVersion: number; reason: string };

/** Decrypts one stored credential with the configured key ring: proves the restored data is usable. */
export async function probeDecryption(database: Database, keyRing: KeyRing): Promise<ProbeResult> {
  const [row] = await database.db
    .select({ id: connections.id, userEncrypted: connections.userEncrypted, keyVersion: connections.keyVersion })
    .from(connections)
    .where(isNotNull(connections.userEncrypted))
    .limit(1);
  if (!row) return { state: 'none' };
  try {
    keyRing.decrypt(row.userEncrypted, credentialContext(row.id, 'user'));
    return { state: 'ok', connectionId: row.id, keyVersion: row.keyVersion };
  } catch (error) {
    if (!(error instanceof KeyRingError)) throw error;
    return { state: 'wrong_key_ring', connectionId: row.id, keyVersion: row.keyVersion, reason: error.message };
  }
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MiB`;

export function formatRestore(report: RestoreReport, probe: ProbeResult, target: string): string[] {
  const rows = report.tables.reduce((sum, table) => sum + table.rows, 0);
  const lines = [
    `restored ${report.manifest.createdAt} backup (${report.manifest.source.engine}, app ${report.manifest.appVersion}) into ${target} in ${report.durationMs} ms`,
    `  ${rows} row(s) in ${report.tables.length} table(s): counts match the manifest`,
    report.migrationsApplied.length > 0
      ? `  applied ${report.migrationsApplied.length} newer migration(s): ${report.migrationsApplied.join(', ')}; migrations are current`
      : '  migrations are current',
  ];
  if (probe.state === 'ok') lines.push(`  ENCRYPTION_KEYS decrypts the stored credentials (probed connection ${probe.connectionId}, key ${probe.keyVersion})`);
  else if (probe.state === 'none') lines.push('  no stored credential to probe');
  else {
    lines.push(
      `  WRONG KEY RING: ENCRYPTION_KEYS cannot decrypt connection ${probe.connectionId} (key version ${probe.keyVersion}): ${probe.reason}`,
      '  the backup does not contain the keys: set ENCRYPTION_KEYS to the ring used where the backup was taken',
    );
  }
  return lines;
}

async function keyRingOf(env: Env, dataDir: string, logger: ReturnType<typeof createLogger>): Promise<KeyRing> {
  if (env.ENCRYPTION_KEYS === undefined) {
    // loadKeyRing would invent a key; a probe must only ever use keys that exist.
    const devKeyFile = join(dataDir, DEV_KEY_FILE);
    await access(devKeyFile).catch(() => {
      throw new KeyRingError('invalid_key_ring', `ENCRYPTION_KEYS is not set and there is no development key file at ${devKeyFile}`);
    });
  }
  return loadKeyRing({ encryptionKeys: env.ENCRYPTION_KEYS, nodeEnv: env.NODE_ENV, dataDir, logger });
}

export async function main(argv: string[], print: (line: string) => void = (line) => console.log(line)): Promise<number> {
  const args = parseBackupArgs(argv);
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
  const baseDir = env.INIT_CWD ?? process.cwd();
  const dataDir = resolve(baseDir, env.DATA_DIR);
  const fromEnv = databaseOptionsFromEnv(env, baseDir);
  const options: DatabaseOptionsInput =
    args.command === 'restore' && args.into !== undefined
      ? { url: args.into }
      : args.command === 'restore' && args.dataDir !== undefined
        ? { dataDir: resolve(baseDir, args.dataDir) }
        : fromEnv;
  // Before touching the target: a restore without the keys to read it is reported, not guessed.
  const keyRing = args.command === 'restore' ? await keyRingOf(env, dataDir, logger) : undefined;
  const database = await connectWithRetry(options, {
    attempts: 3,
    onRetry: ({ attempt, delayMs, error }) => console.warn(`system database not ready (attempt ${attempt}: ${error.message}); retrying in ${delayMs} ms`),
  });
  try {
    if (args.command === 'backup') {
      const config = { ...backupConfigOf(env, dataDir, baseDir), ...(args.out ? { dir: resolve(baseDir, args.out) } : {}) };
      // The audit joins the run's transaction like the app's services do (on the one-connection
      // PGlite, an audit write beside the transaction would wait for it forever).
      const service = new BackupService(database, config, new AuditService(scopedDatabase(database.db), logger), logger);
      const run = await service.run({ trigger: 'manual', actor: { username: 'cli' } });
      if (run.outcome !== 'success') {
        print(`backup of ${database.describe} FAILED: ${run.error ?? 'unknown error'}`);
        return 1;
      }
      print(`wrote ${join(config.dir, run.fileName ?? '')}`);
      print(`  ${mib(run.bytes ?? 0)} in ${run.durationMs ?? 0} ms; ${run.summary?.rows ?? 0} row(s) in ${run.summary?.tables ?? 0} table(s) of ${database.describe}`);
      return 0;
    }
    const report = await restoreBackup(database, resolve(baseDir, args.file), { force: args.force, log: (line) => print(`  ${line}`) });
    // Runs that were in progress when the backup was taken cannot finish in this database.
    await database.db
      .update(backupRuns)
      .set({ outcome: 'failure', finishedAt: new Date(), error: 'was running when this database was backed up; it did not finish here' })
      .where(eq(backupRuns.outcome, 'running'));
    const probe = await probeDecryption(database, keyRing as KeyRing);
    for (const line of formatRestore(report, probe, database.describe)) print(line);
    return probe.state === 'wrong_key_ring' ? 3 : 0;
  } finally {
    await database.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let settled = false;
  // Node exits with 0 when nothing is left to wait for, even if the command never finished (a
  // promise that can no longer settle): that must read as a failure, not as a done backup.
  process.once('beforeExit', () => {
    if (settled) return;
    console.error('error [internal]: the command stopped before it finished; nothing is known to be done');
    process.exitCode = 1;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      if (error instanceof UsageError) {
        console.error(error.message);
        process.exitCode = 2;
      } else if (error instanceof EnvError || error instanceof KeyRingError || error instanceof BackupError || error instanceof StudioDbError) {
        console.error(`error [${error.code}]: ${error.message}`);
        if (error.code === 'data_dir_in_use') {
          console.error('while the app runs on the embedded database, take backups from its Backups page or POST /api/v1/backups');
        }
        process.exitCode = 1;
      } else {
        console.error(error);
        process.exitCode = 1;
      }
    },
  );
}
