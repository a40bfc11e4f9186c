import type { Database } from '../client';
import { BackupError } from '../errors';
import { Migrator, MIGRATIONS_TABLE, readMigrations, defaultMigrationsDir } from '../migrator';
import { withSession, type SqlRunner } from '../session';
import { quoteIdent, tablesWithRows, writableColumns } from './catalog';
import { readPayloadLines, TABLE_LINE_PREFIX, verifyBackupFile, type BackupManifest } from './format';

export interface RestoreOptions {
  /** Replace a database that already holds rows. */
  readonly force?: boolean;
  readonly migrationsDir?: string;
  readonly log?: (line: string) => void;
}

export interface RestoreReport {
  readonly manifest: BackupManifest;
  readonly tables: readonly { name: string; rows: number }[];
  /** Migrations newer than the backup, applied after its rows were loaded. */
  readonly migrationsApplied: readonly string[];
  readonly durationMs: number;
}

/** Rows per INSERT; a batch is also cut when its JSON passes this many characters. */
const BATCH_ROWS = 2000;
const BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Restores a backup into `database`, whichever engine took it:
 * 1. the file is verified (magic, manifest, sha256) and matched against this code's migrations
 *    before anything is touched;
 * 2. a database holding rows is refused unless `force`;
 * 3. in one transaction, the schema is rebuilt at the backup's migration, the rows loaded and their
 *    counts checked against the manifest: any failure rolls it all back, leaving the database as
 *    it was;
 * 4. newer migrations of this code are applied, and the history must then be current.
 */
export async function restoreBackup(database: Database, file: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const layout = await verifyBackupFile(file);
  const { manifest } = layout;
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir;
  const known = (await readMigrations(migrationsDir)).map((migration) => migration.name);
  manifest.migrations.forEach((name, index) => {
    if (known[index] !== name) {
      throw new BackupError(
        'backup_unsupported',
        `the backup's schema (migration ${name}) is not one this version of the studio knows: restore it with the version that took it (${manifest.appVersion}) or newer`,
      );
    }
  });
  const through = manifest.migrations.at(-1);
  if (through === undefined) throw new BackupError('backup_unsupported', 'the backup was taken of a database with no migration applied');

  const occupied = await withSession(database, (session) => tablesWithRows(session, MIGRATIONS_TABLE));
  if (occupied.length > 0 && !options.force) {
    throw new BackupError(
      'restore_target_not_empty',
      `${database.describe} already holds data (${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ', …' : ''}): ` +
        'restore into an empty database, or pass --force to replace everything in it',
    );
  }

  const migrator = new Migrator(database, { migrationsDir, log });
  const tables = await migrator.rebuildThen(through, async (tx) => {
    // Rows arrive as they were: triggers (e.g. member counts) must not act on them a second time.
    for (const { name } of manifest.tables) await tx.exec(`ALTER TABLE public.${quoteIdent(name)} DISABLE TRIGGER USER`);
    await tx.exec(`DELETE FROM public.${quoteIdent(MIGRATIONS_TABLE)}`);
    const loaded = await loadRows(tx, file, layout);
    for (const { name } of manifest.tables) await tx.exec(`ALTER TABLE public.${quoteIdent(name)} ENABLE TRIGGER USER`);
    await resetSequences(tx);
    const counts: { name: string; rows: number }[] = [];
    for (const expected of manifest.tables) {
      const [row] = await tx.query<{ n: string | number }>(`SELECT count(*) AS n FROM public.${quoteIdent(expected.name)}`);
      const rows = Number(row?.n ?? -1);
      if (rows !== expected.rows || loaded.get(expected.name) !== expected.rows) {
        throw new BackupError(
          'restore_verification_failed',
          `table ${expected.name}: ${rows} row(s) after loading, the manifest records ${expected.rows}; nothing was restored`,
        );
      }
      counts.push({ name: expected.name, rows });
    }
    return counts;
  });
  log(`loaded ${tables.reduce((sum, table) => sum + table.rows, 0)} row(s) into ${tables.length} table(s)`);

  const { applied } = await migrator.migrate();
  const status = await migrator.status();
  if (status.pending.length > 0 || status.problems.length > 0) {
    throw new BackupError(
      'restore_verification_failed',
      `after the restore the migration history is not current (${status.pending.length} pending, ${status.problems.length} problem(s))`,
    );
  }
  return {
    manifest,
    tables,
    migrationsApplied: applied.map((migration) => migration.name),
    durationMs: Math.round(performance.now() - started),
  };
}

async function loadRows(tx: SqlRunner, file: string, layout: Parameters<typeof readPayloadLines>[1]): Promise<Map<string, number>> {
  const loaded = new Map<string, number>();
  let table: string | undefined;
  let insert = '';
  let batch: string[] = [];
  let chars = 0;
  const flush = async () => {
    if (batch.length === 0 || table === undefined) return;
    await tx.query(insert, [`[${batch.join(',')}]`]);
    loaded.set(table, (loaded.get(table) ?? 0) + batch.length);
    batch = [];
    chars = 0;
  };
  for await (const line of readPayloadLines(file, layout)) {
    if (line.startsWith(TABLE_LINE_PREFIX)) {
      await flush();
      table = line.slice(TABLE_LINE_PREFIX.length);
      const columns = await writableColumns(tx, table).catch(() => []);
      if (columns.length === 0) {
        throw new BackupError('backup_unsupported', `the backup holds table ${table}, which the rebuilt schema does not have`);
      }
      const list = columns.map(quoteIdent).join(', ');
      // json_populate_recordset converts each JSON value with the column's own input function, so
      // timestamps, enums, jsonb, arrays and bytea come back exactly as row_to_json wrote them.
      insert =
        `INSERT INTO public.${quoteIdent(table)} (${list}) OVERRIDING SYSTEM VALUE ` +
        `SELECT ${list} FROM json_populate_recordset(NULL::public.${quoteIdent(table)}, $1::json)`;
      loaded.set(table, 0);
      continue;
    }
    if (table === undefined) throw new BackupError('backup_manifest_invalid', 'the backup payload has rows before any table');
    batch.push(line);
    chars += line.length;
    if (batch.length >= BATCH_ROWS || chars >= BATCH_CHARS) await flush();
  }
  await flush();
  return loaded;
}

/** Identity and serial columns continue after the restored rows. */
async function resetSequences(tx: SqlRunner): Promise<void> {
  const columns = await tx.query<{ table_name: string; column_name: string; sequence: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, pg_get_serial_sequence(format('public.%I', c.relname), a.attname) AS sequence
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_get_serial_sequence(format('public.%I', c.relname), a.attname) IS NOT NULL`,
  );
  for (const column of columns) {
    await tx.query(
      `SELECT setval($1::regclass, COALESCE((SELECT max(${quoteIdent(column.column_name)}) FROM public.${quoteIdent(column.table_name)}), 1),
                     (SELECT max(${quoteIdent(column.column_name)}) IS NOT NULL FROM public.${quoteIdent(column.table_name)}))`,
      [column.sequence],
    );
  }
}
