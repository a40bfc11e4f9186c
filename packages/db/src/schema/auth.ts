import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, pgEnum, pgTable, text, timestamp, unique, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
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
    /** Set for generated and admin-typed passwords: the next sign-in must choose a new one first. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    /** A deactivated user cannot sign in; their sessions are gone and their API tokens stop authorising. */
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
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

/**
 * lucia sessions. `id` is the sha256 (hex) of lucia's session id, never the id itself: the cookie
 * holds the secret, the database only what verifies it (like api_tokens.token_hash).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Where the session was opened from, shown on the account page. */
    ip: varchar('ip', { length: 64 }),
    userAgent: varchar('user_agent', { length: 512 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('sessions_user_id_idx').on(t.userId),
    index('sessions_expires_at_idx').on(t.expiresAt),
    foreignKey({ name: 'sessions_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete('cascade'),
  ],
);

export const accountTokenKind = pgEnum('account_token_kind', ['invite', 'reset']);

/**
 * One-time links that let a person set their own password: an invite for a new user, a reset for an
 * existing one. Only the sha256 of the token is stored; it is shown once, expires, and is spent on use.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: id(),
    userId: uuid('user_id').notNull(),
    kind: accountTokenKind('kind').notNull(),
    tokenHash: varchar('token_hash', { length: 128 }).notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    unique('account_tokens_token_hash_key').on(t.tokenHash),
    index('account_tokens_user_id_idx').on(t.userId),
    foreignKey({ name: 'account_tokens_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete('cascade'),
    foreignKey({ name: 'account_tokens_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete('set null'),
  ],
);

export type AccountTokenKind = (typeof accountTokenKind.enumValues)[number];
export type Role = typeof roles.$inferSelect;
export type NewRole = typeof roles.$inferInsert;
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
