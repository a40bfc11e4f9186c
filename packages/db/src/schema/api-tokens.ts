import { foreignKey, index, pgTable, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns';
import { users } from './auth';
import { workspaceRole } from './enums';
import { workspaces } from './workspaces';

/**
 * Workspace-scoped API tokens (F12). Only a hash of the token is stored;
 * `prefix` is the first characters, kept so a user can tell tokens apart.
 * Tokens belong to the workspace, not to their creator, so deleting the
 * creator keeps them (created_by → NULL); revoke with `revoked_at`.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    name: varchar('name', { length: 100 }).notNull(),
    tokenHash: varchar('token_hash', { length: 128 }).notNull(),
    prefix: varchar('prefix', { length: 16 }).notNull(),
    role: workspaceRole('role').notNull().default('Member'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    unique('api_tokens_token_hash_key').on(t.tokenHash),
    index('api_tokens_workspace_id_created_at_idx').on(t.workspaceId, t.createdAt.desc()),
    foreignKey({
      name: 'api_tokens_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
    foreignKey({ name: 'api_tokens_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
  ],
);

export type ApiToken = typeof apiTokens.$inferSelect;
export type NewApiToken = typeof apiTokens.$inferInsert;
