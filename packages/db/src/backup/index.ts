export { createBackup, backupFileName, type BackupResult, type CreateBackupOptions } from './dump';
export { restoreBackup, type RestoreOptions, type RestoreReport } from './restore';
export {
  inspectBackupFile,
  verifyBackupFile,
  backupManifestSchema,
  BACKUP_FILE_EXTENSION,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  type BackupFileLayout,
} from './format';
export { listBackupFiles, backupsToPrune, pruneBackups, type BackupFileInfo, type RetentionPolicy } from './retention';
