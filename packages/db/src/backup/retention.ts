import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StudioDbError } from '../errors';
import { BACKUP_FILE_EXTENSION, inspectBackupFile, type BackupManifest } from './format';

export interface BackupFileInfo {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** From the manifest; undefined when the file cannot be read as a backup. */
  readonly manifest: BackupManifest | undefined;
  /** Why the file is not usable (truncated, foreign…); such files are listed, never pruned. */
  readonly problem: string | undefined;
}

export interface RetentionPolicy {
  /** Keep at most this many backups (0 = no limit by count). */
  readonly keep: number;
  /** Delete backups older than this many days (0 = no limit by age). */
  readonly maxAgeDays: number;
}

/** The backup files of a folder, newest first; a missing folder has none. */
export async function listBackupFiles(dir: string): Promise<BackupFileInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: BackupFileInfo[] = [];
  // Temp files start with a dot: a backup still being written is not a backup yet.
  for (const name of names.filter((candidate) => candidate.endsWith(BACKUP_FILE_EXTENSION) && !candidate.startsWith('.'))) {
    const file = path.join(dir, name);
    try {
      const layout = await inspectBackupFile(file);
      files.push({ name, file, bytes: layout.size, manifest: layout.manifest, problem: undefined });
    } catch (error) {
      if (!(error instanceof StudioDbError)) throw error;
      files.push({ name, file, bytes: 0, manifest: undefined, problem: error.message });
    }
  }
  const time = (info: BackupFileInfo) => (info.manifest ? Date.parse(info.manifest.createdAt) : 0);
  return files.sort((a, b) => time(b) - time(a) || b.name.localeCompare(a.name));
}

/**
 * Which backups a policy removes: those beyond the newest `keep`, and those older than
 * `maxAgeDays`. The newest readable backup always stays, whatever its age.
 */
export function backupsToPrune(files: readonly BackupFileInfo[], policy: RetentionPolicy, now: Date): BackupFileInfo[] {
  const readable = files.filter((info) => info.manifest !== undefined);
  const cutoff = now.getTime() - policy.maxAgeDays * 86_400_000;
  return readable.filter((info, index) => {
    if (index === 0) return false;
    if (policy.keep > 0 && index >= policy.keep) return true;
    return policy.maxAgeDays > 0 && Date.parse(info.manifest?.createdAt ?? '') < cutoff;
  });
}

/** Deletes what `backupsToPrune` selects; run only after a backup succeeded. Returns the removed names. */
export async function pruneBackups(dir: string, policy: RetentionPolicy, now: Date = new Date()): Promise<string[]> {
  const doomed = backupsToPrune(await listBackupFiles(dir), policy, now);
  for (const info of doomed) await unlink(info.file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return doomed.map((info) => info.name);
}
