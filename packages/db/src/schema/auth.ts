import { sql } from 'drizzle-orm';
import { foreignKey, index, pgTable, text, timestamp, unique, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';

/** System-wide roles (seed 003: Admin, User); workspace roles live on memberships. */
export const roles = pgTable(
  'roles',
  {
    id: id(),
    name: varchar('name', { length: 64 }).notNull(),
    description: text('description'),
    createdAt: createdAt(),
  },
  (t) => [unique('roles_name_key').on(t.name)],
);

/**
 * Local users have a password hash; Google users have a subject (OIDC `sub`).
 * A user may have both. Usernames are unique case-insensitively.
 */
export const users = pgTable(
  'users',
  {
    id: id(),
    username: varchar('username', { length: 64 }).notNull(),
    displayName: varchar('display_name', { length: 128 }),
    email: varchar('email', { length: 320 }),
    passwordHash: text('password_hash'),
    googleSubject: varchar('google_subject', { length: 255 }),
    googleEmail: varchar('google_email', { length: 320 }),
    roleId: uuid('role_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_key').using('btree', sql`lower(${t.username})`),
    unique('users_google_subject_key').on(t.googleSubject),
    index('users_role_id_idx').on(t.roleId),
    // A role in use cannot be deleted: reassign its users first.
    foreignKey({ name: 'users_role_id_fkey', columns: [t.roleId], foreignColumns: [roles.id] }).onDelete('restrict'),
  ],
);

/** lucia sessions: the id is lucia's opaque string, not a uuid. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('sessions_user_id_idx').on(t.userId),
    index('sessions_expires_at_idx').on(t.expiresAt),
    foreignKey({ name: 'sessions_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete('cascade'),
  ],
);

export type Role = typeof roles.$inferSelect;
export type NewRole = typeof roles.$inferInsert;
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
