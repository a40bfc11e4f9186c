import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { connectionAccessLevel, connectionStatus, connectionType, consoleAccess } from './enums';
import { workspaces } from './workspaces';

/** Non-secret driver options of a connection (F2). Secrets never go here. */
export interface ConnectionOptions {
  /** The encryption mode of the connection's type (the API validates it per type); wins over `tls`. */
  encryption?: string;
  tls?: boolean;
  trustServerCertificate?: boolean;
  /** PEM text of a CA certificate to trust. */
  ca?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** SQL Server: the mirroring partner a pool fails over to. */
  failoverPartner?: { host: string; port?: number };
  /** PostgreSQL: more hosts, tried in order after `host` (libpq's host list). */
  alternateHosts?: Array<{ host: string; port?: number }>;
  /** PostgreSQL: `read-write` skips servers whose sessions are read-only; default `any`. */
  targetSessionAttrs?: 'read-write' | 'any';
  /** SQL Server: read-only work logs in with ApplicationIntent=ReadOnly (read-only routing). */
  readIntent?: boolean;
  [option: string]: unknown;
}

/**
 * What the last connection test of a connection negotiated, as read from its socket (never a
 * secret): the mode asked for and `{ encrypted: false }`, or the TLS protocol, cipher and server
 * certificate. Null before a test got past the login.
 */
export interface ConnectionTlsRecord {
  mode: string;
  encrypted: boolean;
  protocol?: string;
  cipher?: string;
  alpnProtocol?: string | null;
  authorized?: boolean;
  certificate?: { subject: string; issuer: string; subjectAltNames: string[]; validFrom: string; validTo: string; fingerprint256: string } | null;
}

/**
 * A named workspace database. `user_encrypted` / `password_encrypted` hold
 * AES-256-GCM ciphertext produced by the API's key ring; `key_version` says
 * which key sealed them so rotation can find rows still on an old key.
 */
export const connections = pgTable(
  'connections',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    name: varchar('name', { length: 100 }).notNull(),
    description: text('description'),
    type: connectionType('type').notNull(),
    host: varchar('host', { length: 255 }).notNull(),
    port: integer('port').notNull(),
    database: varchar('database', { length: 128 }).notNull(),
    userEncrypted: text('user_encrypted').notNull(),
    passwordEncrypted: text('password_encrypted'),
    keyVersion: integer('key_version').notNull(),
    options: jsonb('options').$type<ConnectionOptions>().notNull().default({}),
    status: connectionStatus('status').notNull().default('unknown'),
    /** What the query console may do here; set by Owners/Admins. */
    consoleAccess: consoleAccess('console_access').notNull().default('read-only'),
    lastTestedAt: timestamp('last_tested_at', { withTimezone: true }),
    lastError: text('last_error'),
    lastTls: jsonb('last_tls').$type<ConnectionTlsRecord>(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('connections_workspace_name_key').on(t.workspaceId, t.name),
    check('connections_port_check', sql`${t.port} between 1 and 65535`),
    check('connections_key_version_check', sql`${t.keyVersion} >= 1`),
    index('connections_key_version_idx').on(t.keyVersion),
    foreignKey({
      name: 'connections_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
    foreignKey({ name: 'connections_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
  ],
);

/** Per-connection grants to users (F6). */
export const connectionAccess = pgTable(
  'connection_access',
  {
    id: id(),
    connectionId: uuid('connection_id').notNull(),
    userId: uuid('user_id').notNull(),
    level: connectionAccessLevel('level').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
    assignedBy: uuid('assigned_by'),
  },
  (t) => [
    unique('connection_access_connection_user_key').on(t.connectionId, t.userId),
    index('connection_access_user_id_idx').on(t.userId),
    foreignKey({
      name: 'connection_access_connection_id_fkey',
      columns: [t.connectionId],
      foreignColumns: [connections.id],
    }).onDelete('cascade'),
    foreignKey({ name: 'connection_access_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete(
      'cascade',
    ),
    foreignKey({
      name: 'connection_access_assigned_by_fkey',
      columns: [t.assignedBy],
      foreignColumns: [users.id],
    }).onDelete('set null'),
  ],
);

export type Connection = typeof connections.$inferSelect;
export type NewConnection = typeof connections.$inferInsert;
export type ConnectionAccess = typeof connectionAccess.$inferSelect;
export type NewConnectionAccess = typeof connectionAccess.$inferInsert;
