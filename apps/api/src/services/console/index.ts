export {
  ConsoleDownload,
  ConsoleService,
  DEFAULT_EXPORT_MAX_ROWS,
  DEFAULT_CONNECTION_MAX_TIMEOUT_MS,
  DEFAULT_CONSOLE_ROW_LIMIT,
  DEFAULT_CONSOLE_TIMEOUT_MS,
  HISTORY_RETENTION_DAYS,
  modeRefusal,
  sqlFingerprint,
  type ConsoleRunResult,
  type ConsoleRuns,
  type ConsoleRunSubject,
  type ConsoleTarget,
} from './service';
export type { ConsoleColumn, ConsoleMessage, ConsoleMode, ConsoleResultSet, ConsoleValue } from './types';
export { readOnlyRefusal } from './read-only';
export { firstChunkOf, type ExportFormat } from './export';
