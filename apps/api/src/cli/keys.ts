// `pnpm keys:rotate` / `pnpm keys:status`: credential key rotation from the command line. Run it with
// the same environment as the API (ENCRYPTION_KEYS with the new key added as the highest version,
// DATABASE_URL or DATA_DIR). On the embedded PGlite the data folder is locked by a running API, so
// stop it first; on PostgreSQL it can run while the API serves (batches lock only their own rows).
import '../../../../tooling/node-version';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectWithRetry, databaseOptionsFromEnv, Migrator, StudioDbError, type Database } from '@studio/db';
import { z } from 'zod';
import { EnvError, loadEnv } from '../env';
import { createLogger } from '../logger';
import { AuditService } from '../services/audit';
import { KeyRingError } from '../services/crypto';
import { DEV_KEY_FILE, loadKeyRing } from '../services/key-store';
import { DEFAULT_ROTATION_BATCH_SIZE, KeyRotationError, KeyRotationService, type KeyUsage, type RotationReport } from '../services/key-rotation';

export const USAGE = `usage: keys <command> [options]
  rotate [--dry-run] [--batch-size N] [--max-batches N]
         re-seal every stored credential still on an older key with the newest key of ENCRYPTION_KEYS
         (N rows per transaction, default ${DEFAULT_ROTATION_BATCH_SIZE}; rerun to resume; exit 1 if any row cannot be decrypted)
  status [--retire VERSION]
         connection rows per key version; with --retire, exit 1 unless VERSION can be removed from ENCRYPTION_KEYS`;

/** The CLI cannot do its job in this environment (no key ring, unmigrated database). */
export class KeysCliError extends Error {
  readonly code = 'keys_cli_refused';
  constructor(message: string) {
    super(message);
    this.name = 'KeysCliError';
  }
}

export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

const positiveInt = (flag: string) =>
  z.coerce.number({ error: `${flag} must be a number` }).int(`${flag} must be a whole number`).min(1, `${flag} must be at least 1`);

const rotateArgs = z.strictObject({
  command: z.literal('rotate'),
  dryRun: z.boolean().default(false),
  batchSize: positiveInt('--batch-size').max(10_000, '--batch-size must be at most 10000').default(DEFAULT_ROTATION_BATCH_SIZE),
  maxBatches: positiveInt('--max-batches').optional(),
});

const statusArgs = z.strictObject({
  command: z.literal('status'),
  retire: positiveInt('--retire').optional(),
});

export const keysArgsSchema = z.discriminatedUnion('command', [rotateArgs, statusArgs]);
export type KeysArgs = z.output<typeof keysArgsSchema>;

const flagNames: Record<string, { key: string; takesValue: boolean }> = {
  '--dry-run': { key: 'dryRun', takesValue: false },
  '--batch-size': { key: 'batchSize', takesValue: true },
  '--max-batches': { key: 'maxBatches', takesValue: true },
  '--retire': { key: 'retire', takesValue: true },
};

/** `rotate --batch-size 50` / `--batch-size=50`; unknown flags and stray words are refused by name. */
export function parseKeysArgs(argv: readonly string[]): KeysArgs {
  // pnpm forwards a literal `--` when arguments follow the script name.
  const words = argv.filter((arg) => arg !== '--');
  const [command, ...rest] = words;
  const raw: Record<string, unknown> = { command };
  for (let i = 0; i < rest.length; i += 1) {
    const word = rest[i] as string;
    const [name, inline] = word.split(/=(.*)/s, 2) as [string, string | undefined];
    const flag = flagNames[name];
    if (!flag) throw new UsageError(`unknown argument "${word}"`);
    if (!flag.takesValue) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      raw[flag.key] = true;
      continue;
    }
    const value = inline ?? rest[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    if (inline === undefined) i += 1;
    raw[flag.key] = value;
  }
  const parsed = keysArgsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === 'command') throw new UsageError(command === undefined ? 'a command is required' : `unknown command "${command}"`);
    if (issue?.code === 'unrecognized_keys') {
      const flag = Object.entries(flagNames).find(([, f]) => issue.keys.includes(f.key))?.[0];
      throw new UsageError(`${flag ?? issue.keys.join(', ')} does not apply to "${command}"`);
    }
    throw new UsageError(issue?.message ?? 'invalid arguments');
  }
  return parsed.data;
}

export function formatUsage(usage: KeyUsage): string[] {
  const lines = [`key ring: versions ${usage.ringVersions.join(', ')} (newest ${usage.currentVersion} seals new credentials)`];
  if (usage.rows.length === 0) lines.push('  no stored credentials');
  for (const row of usage.rows) {
    const note = row.keyVersion === usage.currentVersion ? ' (newest)' : row.inRing ? '' : ' (NOT IN ENCRYPTION_KEYS: unreadable)';
    lines.push(`  key ${row.keyVersion}: ${row.count} connection row(s)${note}`);
  }
  const unused = usage.ringVersions.filter((v) => v !== usage.currentVersion && !usage.rows.some((row) => row.keyVersion === v));
  if (unused.length > 0) lines.push(`  unused, can be retired: ${unused.join(', ')}`);
  return lines;
}

export function formatReport(report: RotationReport): string[] {
  const verb = report.dryRun ? 'would re-seal' : 're-sealed';
  const lines = [
    `${report.dryRun ? 'dry run: ' : ''}${report.due} row(s) were on an older key; ${verb} ${report.rotated} with key ${report.targetVersion} in ${report.batches} batch(es)`,
  ];
  for (const failure of report.failed) lines.push(`  connection ${failure.connectionId}: cannot be decrypted (${failure.reason})`);
  if (report.interrupted) lines.push(`stopped by --max-batches: ${report.remaining} row(s) left; run keys:rotate again to finish`);
  else if (!report.dryRun) lines.push(report.remaining === 0 ? 'every stored credential is on the newest key' : `${report.remaining} row(s) still on an older key`);
  if (report.dryRun) lines.push('nothing was written');
  return lines;
}

export interface KeysCommandDeps {
  service: KeyRotationService;
  print: (line: string) => void;
}

/** Runs one parsed command; the exit code says whether the operator's goal was reached. */
export async function runKeysCommand(args: KeysArgs, deps: KeysCommandDeps): Promise<number> {
  if (args.command === 'rotate') {
    const report = await deps.service.rotate({ batchSize: args.batchSize, maxBatches: args.maxBatches, dryRun: args.dryRun });
    for (const line of formatReport(report)) deps.print(line);
    return report.failed.length > 0 ? 1 : 0;
  }
  if (args.retire === undefined) {
    for (const line of formatUsage(await deps.service.usage())) deps.print(line);
    return 0;
  }
  try {
    const usage = await deps.service.assertRetirable(args.retire);
    for (const line of formatUsage(usage)) deps.print(line);
    deps.print(`key ${args.retire} is not used by any stored credential: it can be removed from ENCRYPTION_KEYS`);
    return 0;
  } catch (error) {
    if (!(error instanceof KeyRotationError)) throw error;
    deps.print(`refused [${error.code}]: ${error.message}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseKeysArgs(argv);
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
  const baseDir = env.INIT_CWD ?? process.cwd();
  const dataDir = resolve(baseDir, env.DATA_DIR);
  if (env.ENCRYPTION_KEYS === undefined) {
    // loadKeyRing would invent a key here; a rotation tool must only ever use keys that exist.
    const devKeyFile = join(dataDir, DEV_KEY_FILE);
    await access(devKeyFile).catch(() => {
      throw new KeysCliError(`ENCRYPTION_KEYS is not set and there is no development key file at ${devKeyFile}`);
    });
  }
  const keyRing = await loadKeyRing({ encryptionKeys: env.ENCRYPTION_KEYS, nodeEnv: env.NODE_ENV, dataDir, logger });
  const database: Database = await connectWithRetry(databaseOptionsFromEnv(env, baseDir), {
    onRetry: ({ attempt, delayMs, error }) => console.warn(`system database not ready (attempt ${attempt}: ${error.message}); retrying in ${delayMs} ms`),
  });
  try {
    console.log(database.describe);
    const { pending } = await new Migrator(database).status();
    if (pending.length > 0) throw new KeysCliError(`the system database has ${pending.length} pending migration(s); run pnpm db:migrate first`);
    const service = new KeyRotationService(database.db, keyRing, new AuditService(database.db, logger));
    return await runKeysCommand(args, { service, print: (line) => console.log(line) });
  } finally {
    await database.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(error.message);
        process.exitCode = 2;
      } else if (error instanceof EnvError || error instanceof KeysCliError || error instanceof KeyRingError || error instanceof KeyRotationError || error instanceof StudioDbError) {
        console.error(`error [${error.code}]: ${error.message}`);
        process.exitCode = 1;
      } else {
        console.error(error);
        process.exitCode = 1;
      }
    },
  );
}
