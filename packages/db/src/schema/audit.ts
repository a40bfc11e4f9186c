import { foreignKey, index, jsonb, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { apiTokens } from './api-tokens';
import { users } from './auth';
import { id } from './_columns';
import { auditOutcome } from './enums';

/**
 * Append-only audit trail (F8). Rows outlive what they describe: the actor
 * columns become NULL when the user or token is deleted (`actor_username`
 * keeps who it was), and `workspace_id` / `target_id` carry no foreign key
 * so deleting a workspace keeps its history, including the deletion itself.
 * `details` must never contain secrets; the API's audit service redacts.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid('actor_user_id'),
    actorTokenId: uuid('actor_token_id'),
    actorUsername: varchar('actor_username', { length: 64 }),
    workspaceId: uuid('workspace_id'),
    action: varchar('action', { length: 100 }).notNull(),
    targetType: varchar('target_type', { length: 50 }),
    targetId: text('target_id'),
    ip: varchar('ip', { length: 64 }),
    userAgent: text('user_agent'),
    outcome: auditOutcome('outcome').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_log_workspace_id_at_idx').on(t.workspaceId, t.at.desc()),
    index('audit_log_actor_user_id_at_idx').on(t.actorUserId, t.at.desc()),
    index('audit_log_action_idx').on(t.action),
    index('audit_log_target_idx').on(t.targetType, t.targetId),
    index('audit_log_at_idx').on(t.at.desc()),
    foreignKey({ name: 'audit_log_actor_user_id_fkey', columns: [t.actorUserId], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
    foreignKey({
      name: 'audit_log_actor_token_id_fkey',
      columns: [t.actorTokenId],
      foreignColumns: [apiTokens.id],
    }).onDelete('set null'),
  ],
);

export type AuditLogEntry = typeof auditLog.$inferSelect;
export type NewAuditLogEntry = typeof auditLog.$inferInsert;
