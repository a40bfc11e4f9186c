import { pgEnum } from 'drizzle-orm/pg-core';

/** Role of a user inside one workspace (F6). Also the scope of an API token. */
export const workspaceRole = pgEnum('workspace_role', ['Owner', 'Admin', 'Member', 'Viewer']);

/** Database engines a workspace connection can point at (F2). */
export const connectionType = pgEnum('connection_type', ['mssql', 'postgres', 'mysql']);

/** Last known health of a connection, written by tests, pool events and schema checks. */
export const connectionStatus = pgEnum('connection_status', [
  'unknown',
  'healthy',
  'unhealthy',
  'needs_migration',
  'drifted',
]);

/** Per-connection grant (F6): `use` runs procedures through it, `manage` edits it. */
export const connectionAccessLevel = pgEnum('connection_access_level', ['use', 'manage']);

/**
 * What the query console may do on a connection: nothing, read (enforced by the database where it
 * can; see docs/decisions/011), or read and write.
 */
export const consoleAccess = pgEnum('console_access', ['off', 'read-only', 'read-write']);

/** How a console run ended (query history). */
export const consoleRunOutcome = pgEnum('console_run_outcome', ['success', 'error', 'cancelled', 'timeout']);

export const storedProcedureStatus = pgEnum('stored_procedure_status', ['draft', 'published']);

export const auditOutcome = pgEnum('audit_outcome', ['success', 'failure', 'denied']);

export type WorkspaceRole = (typeof workspaceRole.enumValues)[number];
export type ConnectionType = (typeof connectionType.enumValues)[number];
export type ConnectionStatus = (typeof connectionStatus.enumValues)[number];
export type ConnectionAccessLevel = (typeof connectionAccessLevel.enumValues)[number];
export type ConsoleAccess = (typeof consoleAccess.enumValues)[number];
export type ConsoleRunOutcome = (typeof consoleRunOutcome.enumValues)[number];
export type StoredProcedureStatus = (typeof storedProcedureStatus.enumValues)[number];
export type AuditOutcome = (typeof auditOutcome.enumValues)[number];
