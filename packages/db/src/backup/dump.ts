import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Database } from '../client';
import { BackupError, StudioDbError } from '../errors';
import { MIGRATIONS_TABLE } from '../migrator';
import { withSession, type SqlRunner } from '../session';
import { quoteIdent, tablesInLoadOrder } from './catalog';
import {
  BACKUP_FILE_EXTENSION,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BACKUP_MAGIC,
  TABLE_LINE_PREFIX,
  trailerFor,
  type BackupManifest,
} from './format';

export interface CreateBackupOptions {
  /** Folder the file is written to (created when missing). */
  readonly dir: string;
  /** Recorded in the manifest, e.g. the API's package version. */
  readonly appVersion: string;
  /** gzip level 1–9 (default 6). */
  readonly compressionLevel?: number;
  readonly now?: () => Date;
}

export interface BackupResult {
  readonly file: string;
  readonly name: string;
  readonly bytes: number;
  readonly durationMs: number;
  readonly manifest: BackupManifest;
}

const FETCH_ROWS = 2000;

/** `studio-20261204T160000123Z-1a2b.studio-backup`: sorts by time, unique within a millisecond. */
export function backupFileName(createdAt: Date): string {
  const stamp = createdAt.toISOString().replace(/[-:.]/g, '');
  return `studio-${stamp}-${randomBytes(2).toString('hex')}${BACKUP_FILE_EXTENSION}`;
}

/**
 * Writes a backup of every table of `public` as one consistent snapshot (a REPEATABLE READ, READ
 * ONLY transaction), compressed, with its manifest. The file appears under its final name only
 * once complete (temp file + fsync + rename); on any failure the temp file is removed.
 *
 * On PGlite the transaction holds the instance for the duration, so the running app's queries
 * wait for the backup rather than read or write across it.
 */
export async function createBackup(database: Database, options: CreateBackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const createdAt = (options.now ?? (() => new Date()))();
  await mkdir(options.dir, { recursive: true });
  const name = backupFileName(createdAt);
  const file = path.join(options.dir, name);
  const temp = path.join(options.dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeFile(temp, BACKUP_MAGIC, { flag: 'wx', mode: 0o600 });
    const digest = createHash('sha256');
    let payloadBytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        digest.update(chunk);
        payloadBytes += chunk.length;
        callback(null, chunk);
      },
    });
    const snapshot = await withSession(database, (session) =>
      session.transaction(async (tx) => {
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const tables = await tablesInLoadOrder(tx);
        const migrations = tables.includes(MIGRATIONS_TABLE)
          ? (await tx.query<{ name: string }>(`SELECT name FROM ${quoteIdent(MIGRATIONS_TABLE)} ORDER BY id`)).map((row) => row.name)
          : [];
        const [version] = await tx.query<{ server_version: string }>('SHOW server_version');
        const counts: { name: string; rows: number }[] = [];
        await pipeline(
          Readable.from(payloadLines(tx, tables, counts)),
          createGzip({ level: options.compressionLevel ?? 6 }),
          tap,
          createWriteStream(temp, { flags: 'a' }),
        );
        return { migrations, counts, serverVersion: version?.server_version ?? 'unknown' };
      }),
    );
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      appVersion: options.appVersion,
      createdAt: createdAt.toISOString(),
      source: { engine: database.kind, serverVersion: snapshot.serverVersion },
      migrations: snapshot.migrations,
      tables: snapshot.counts,
      compression: 'gzip',
      payloadBytes,
      payloadSha256: digest.digest('hex'),
    };
    const manifestJson = Buffer.from(JSON.stringify(manifest), 'utf8');
    await appendFile(temp, Buffer.concat([manifestJson, trailerFor(manifestJson)]));
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    const { size } = await stat(file);
    return { file, name, bytes: size, durationMs: Math.round(performance.now() - started), manifest };
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof StudioDbError) throw error;
    throw new BackupError('backup_failed', `backup of ${database.describe} failed: ${(error as Error).message}`, { cause: error });
  }
}

async function* payloadLines(tx: SqlRunner, tables: readonly string[], counts: { name: string; rows: number }[]): AsyncGenerator<string> {
  for (const table of tables) {
    yield `${TABLE_LINE_PREFIX}${table}\n`;
    let rows = 0;
    await tx.exec(`DECLARE studio_backup_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS r FROM public.${quoteIdent(table)} t`);
    for (;;) {
      const batch = await tx.query<{ r: string }>(`FETCH ${FETCH_ROWS} FROM studio_backup_rows`);
      if (batch.length === 0) break;
      rows += batch.length;
      // row_to_json escapes control characters, so a row never spans lines.
      yield `${batch.map((row) => row.r).join('\n')}\n`;
    }
    await tx.exec('CLOSE studio_backup_rows');
    counts.push({ name: table, rows });
  }
}
