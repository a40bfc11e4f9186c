// The backup file: one self-describing file, the same whichever engine wrote or reads it.
//
//   STUDIO-BACKUP\n                          magic (a foreign file is refused on these bytes)
//   <gzip payload>                           NDJSON: `T\t<table>` lines, each followed by its rows
//                                            as PostgreSQL's row_to_json text
//   <manifest JSON>                          format, versions, per-table row counts, sha256 of the payload
//   \nSTUDIO-BACKUP-MANIFEST 0000000123 <sha256 of the manifest>\n
//                                            fixed-width trailer
//
// The manifest goes last so the payload is hashed while it is streamed out; a file cut short loses
// its trailer and reads as truncated. The trailer's hash covers the manifest, the manifest's hash
// covers the payload: no byte can change unnoticed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { BackupError } from '../errors';

export const BACKUP_FORMAT = 'studio-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const BACKUP_FILE_EXTENSION = '.studio-backup';

export const BACKUP_MAGIC = Buffer.from('STUDIO-BACKUP\n', 'ascii');
const TRAILER_PREFIX = '\nSTUDIO-BACKUP-MANIFEST ';
const TRAILER_DIGITS = 10;
const TRAILER_LENGTH = TRAILER_PREFIX.length + TRAILER_DIGITS + 1 + 64 + 1;
/** Payload line that starts the rows of a table. */
export const TABLE_LINE_PREFIX = 'T\t';

export const backupManifestSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION),
  appVersion: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** Engine the backup was taken from; restores go to either. */
  source: z.strictObject({ engine: z.enum(['pg', 'pglite']), serverVersion: z.string() }),
  /** Applied migrations at backup time, in order; the last one is the schema version. */
  migrations: z.array(z.string().min(1)),
  tables: z.array(z.strictObject({ name: z.string().min(1), rows: z.number().int().min(0) })),
  compression: z.literal('gzip'),
  payloadBytes: z.number().int().min(0),
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type BackupManifest = z.infer<typeof backupManifestSchema>;

export function trailerFor(manifestJson: Buffer): Buffer {
  const length = String(manifestJson.length).padStart(TRAILER_DIGITS, '0');
  return Buffer.from(`${TRAILER_PREFIX}${length} ${createHash('sha256').update(manifestJson).digest('hex')}\n`, 'ascii');
}

/** Where the parts of a backup file lie; what `inspectBackupFile` found without hashing the payload. */
export interface BackupFileLayout {
  readonly manifest: BackupManifest;
  readonly size: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

/**
 * Reads the magic, the trailer and the manifest: cheap, for listings. A foreign file, a file cut
 * short and a manifest that does not parse are told apart. Does not check the payload's hash.
 */
export async function inspectBackupFile(file: string): Promise<BackupFileLayout> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const magic = Buffer.alloc(BACKUP_MAGIC.length);
    await handle.read(magic, 0, magic.length, 0);
    if (size < BACKUP_MAGIC.length || !magic.equals(BACKUP_MAGIC)) {
      throw new BackupError('backup_not_a_backup', `${file} is not a studio backup (it does not start with the backup header)`);
    }
    const truncated = () =>
      new BackupError('backup_truncated', `${file} is incomplete: its manifest trailer is missing (the file was cut short or altered)`);
    if (size < BACKUP_MAGIC.length + TRAILER_LENGTH) throw truncated();
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    await handle.read(trailer, 0, TRAILER_LENGTH, size - TRAILER_LENGTH);
    const text = trailer.toString('ascii');
    const match = new RegExp(`^${TRAILER_PREFIX.replace('\n', '\\n')}(\\d{${TRAILER_DIGITS}}) ([0-9a-f]{64})\\n$`).exec(text);
    if (!match?.[1] || !match[2]) throw truncated();
    const manifestLength = Number.parseInt(match[1], 10);
    const manifestStart = size - TRAILER_LENGTH - manifestLength;
    if (manifestStart < BACKUP_MAGIC.length) throw truncated();
    const manifestBytes = Buffer.alloc(manifestLength);
    await handle.read(manifestBytes, 0, manifestLength, manifestStart);
    if (createHash('sha256').update(manifestBytes).digest('hex') !== match[2]) {
      throw new BackupError('backup_checksum_mismatch', `${file}: the manifest's sha256 does not match (the file was altered or damaged)`);
    }
    const manifest = parseManifest(file, manifestBytes);
    const payloadBytes = manifestStart - BACKUP_MAGIC.length;
    if (payloadBytes !== manifest.payloadBytes) {
      throw new BackupError(
        'backup_truncated',
        `${file} holds ${payloadBytes} payload bytes where its manifest records ${manifest.payloadBytes}`,
      );
    }
    return { manifest, size, payloadStart: BACKUP_MAGIC.length, payloadEnd: manifestStart };
  } finally {
    await handle.close();
  }
}

function parseManifest(file: string, bytes: Buffer): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BackupError('backup_manifest_invalid', `${file}: the manifest is not valid JSON`);
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > BACKUP_FORMAT_VERSION) {
    throw new BackupError(
      'backup_unsupported',
      `${file} is backup format ${version}; this version of the studio reads format ${BACKUP_FORMAT_VERSION}: restore it with a newer studio`,
    );
  }
  const parsed = backupManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BackupError('backup_manifest_invalid', `${file}: the manifest is invalid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** `inspectBackupFile` plus the payload's sha256 against the manifest: run before anything is touched. */
export async function verifyBackupFile(file: string): Promise<BackupFileLayout> {
  const layout = await inspectBackupFile(file);
  const digest = createHash('sha256');
  if (layout.payloadEnd > layout.payloadStart) {
    for await (const chunk of createReadStream(file, { start: layout.payloadStart, end: layout.payloadEnd - 1 })) {
      digest.update(chunk as Buffer);
    }
  }
  const actual = digest.digest('hex');
  if (actual !== layout.manifest.payloadSha256) {
    throw new BackupError(
      'backup_checksum_mismatch',
      `${file}: the payload's sha256 does not match the manifest (the file was altered or damaged)`,
    );
  }
  return layout;
}

/** The payload's lines, decompressed as they are read. */
export async function* readPayloadLines(file: string, layout: BackupFileLayout): AsyncGenerator<string> {
  if (layout.payloadEnd <= layout.payloadStart) return;
  const gunzip = createGunzip();
  const source = createReadStream(file, { start: layout.payloadStart, end: layout.payloadEnd - 1 });
  source.on('error', (error) => gunzip.destroy(error));
  const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.length > 0) yield line;
    }
  } finally {
    lines.close();
    source.destroy();
  }
}
