// People and their accounts: local users created by a system Admin (with a typed password or a
// one-time invite link), password resets, deactivation, system roles, and a person's own password.
// Invite and reset links are 256-bit random tokens shown once; only their sha256 is stored.
import { hash, randomBytes } from 'node:crypto';
import type { StudioDatabase } from '@studio/db';
import { hashPassword, verifyPassword } from '@studio/db/password';
import { accountTokens, roles, sessions, users, type AccountTokenKind } from '@studio/db/schema';
import { and, asc, eq, gt, ilike, isNotNull, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { AuthCache } from './auth-cache';
import { ConflictError, expectRow, InvalidInputError, NotFoundError, ServiceError } from './errors';
import { keysetPage } from './pagination';
import { assertPasswordPolicy } from './password-policy';

export const ACCOUNT_LINK_PREFIX = 'wsi_';
export const ACCOUNT_LINK_TTL_HOURS = 72;
export const systemRoles = ['Admin', 'User'] as const;
export type SystemRole = (typeof systemRoles)[number];
export type UserStatus = 'active' | 'invited' | 'deactivated';

export function hashAccountLink(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The columns a person's record is shown with: never the password hash or the OIDC subject. */
const personColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  email: users.email,
  systemRole: roles.name,
  hasPassword: sql<boolean>`(${users.passwordHash} is not null)`,
  hasOidc: sql<boolean>`(${users.googleSubject} is not null)`,
  mustChangePassword: users.mustChangePassword,
  deactivatedAt: users.deactivatedAt,
  lastSignInAt: users.lastSignInAt,
  createdAt: users.createdAt,
  /** An unspent, unexpired link is waiting (invite or reset). */
  pendingLink: sql<AccountTokenKind | null>`(select t.kind from account_tokens t where t.user_id = ${users.id} and t.used_at is null and t.revoked_at is null and t.expires_at > now() order by t.created_at desc limit 1)`,
};

type PersonRow = {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  systemRole: string;
  hasPassword: boolean;
  hasOidc: boolean;
  mustChangePassword: boolean;
  deactivatedAt: Date | null;
  lastSignInAt: Date | null;
  createdAt: Date;
  pendingLink: AccountTokenKind | null;
};

function present(row: PersonRow) {
  const signIn: 'password' | 'oidc' | 'both' | 'none' = row.hasPassword ? (row.hasOidc ? 'both' : 'password') : row.hasOidc ? 'oidc' : 'none';
  const status: UserStatus = row.deactivatedAt ? 'deactivated' : !row.hasPassword && !row.hasOidc ? 'invited' : 'active';
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    email: row.email,
    systemRole: row.systemRole,
    signIn,
    status,
    mustChangePassword: row.mustChangePassword,
    pendingLink: row.pendingLink,
    lastSignInAt: row.lastSignInAt,
    deactivatedAt: row.deactivatedAt,
    createdAt: row.createdAt,
  };
}

export type Person = ReturnType<typeof present>;

/** A link that was just issued: the token is in this value only. */
export interface IssuedLink {
  kind: AccountTokenKind;
  token: string;
  expiresAt: Date;
}

/** Why an invite/reset link cannot be used; the message never says whether the token ever existed. */
export class AccountLinkError extends ServiceError {
  constructor(reason: 'invalid' | 'expired' | 'used' | 'revoked' | 'deactivated') {
    super('not_found', 'This link is invalid, expired or already used. Ask an administrator for a new one.', { field: 'token', reason });
    this.name = 'AccountLinkError';
  }
}

type Tx = Parameters<Parameters<StudioDatabase['transaction']>[0]>[0];

/**
 * Every change to a person that a cached principal was built from (sessions ended, deactivation,
 * password, display name) is published to the auth cache after its own transaction.
 */
export class PeopleService {
  constructor(
    private readonly db: StudioDatabase,
    private readonly cache: AuthCache = new AuthCache(undefined),
  ) {}

  /** The user's system role name when the user exists and is active; null otherwise. */
  async activeSystemRole(userId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ role: roles.name })
      .from(users)
      .innerJoin(roles, eq(roles.id, users.roleId))
      .where(and(eq(users.id, userId), isNull(users.deactivatedAt)));
    return row?.role ?? null;
  }

  async list(filter: { query?: string | undefined; status?: UserStatus | undefined; afterUsername?: string | undefined; limit: number }) {
    const where: (SQL | undefined)[] = [];
    if (filter.query) {
      const pattern = `%${filter.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(or(ilike(users.username, pattern), ilike(users.displayName, pattern), ilike(users.email, pattern)));
    }
    if (filter.status === 'deactivated') where.push(isNotNull(users.deactivatedAt));
    if (filter.status === 'active') where.push(and(isNull(users.deactivatedAt), or(isNotNull(users.passwordHash), isNotNull(users.googleSubject))));
    if (filter.status === 'invited') where.push(and(isNull(users.deactivatedAt), isNull(users.passwordHash), isNull(users.googleSubject)));
    if (filter.afterUsername !== undefined) where.push(sql`lower(${users.username}) > lower(${filter.afterUsername})`);
    const rows = await this.db
      .select(personColumns)
      .from(users)
      .innerJoin(roles, eq(roles.id, users.roleId))
      .where(and(...where))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(filter.limit + 1);
    return keysetPage(rows.map(present), filter.limit, (row) => row.username);
  }

  async get(userId: string): Promise<Person> {
    const [row] = await this.db.select(personColumns).from(users).innerJoin(roles, eq(roles.id, users.roleId)).where(eq(users.id, userId));
    if (!row) throw new NotFoundError('User', { field: 'userId' });
    return present(row);
  }

  /** Active users whose username or display name starts with `prefix`: the search-as-you-type of "add member". */
  async search(prefix: string, limit: number) {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db
      .select({ id: users.id, username: users.username, displayName: users.displayName })
      .from(users)
      .where(and(isNull(users.deactivatedAt), or(ilike(users.username, pattern), ilike(users.displayName, pattern))))
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(limit);
  }

  async #roleId(tx: Tx | StudioDatabase, name: SystemRole): Promise<string> {
    const [row] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.name, name));
    if (!row) throw new InvalidInputError('systemRole', `The system role ${name} does not exist`);
    return row.id;
  }

  /**
   * Creates a local user. With `password` (typed by the admin) the user must change it at the first
   * sign-in; without, an invite link is issued and the person chooses their own.
   */
  async create(input: NewPerson & { password?: string | undefined }) {
    return this.insert(input, await this.hashInitialPassword(input));
  }

  /** The policy check and the hash of `create`, for a caller that writes in its own transaction (`insert`). */
  async hashInitialPassword(input: { username: string; password?: string | undefined }): Promise<string | null> {
    if (input.password !== undefined) assertPasswordPolicy(input.password, input.username);
    return input.password === undefined ? null : hashPassword(input.password);
  }

  /** `create` with the password already hashed (`hashInitialPassword`); joins the caller's transaction. */
  async insert(input: NewPerson, passwordHash: string | null) {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({
          username: input.username,
          displayName: input.displayName ?? null,
          email: input.email ?? null,
          roleId: await this.#roleId(tx, input.systemRole),
          passwordHash,
          mustChangePassword: passwordHash !== null,
        })
        .returning({ id: users.id });
      const userId = expectRow(row, 'user insert').id;
      const link = passwordHash === null ? await this.#issueLink(tx, userId, 'invite', input.createdBy) : null;
      return { userId, link };
    });
  }

  async #issueLink(tx: Tx, userId: string, kind: AccountTokenKind, createdBy: string): Promise<IssuedLink> {
    // One open link per person: a new one replaces whatever was pending.
    await tx
      .update(accountTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt), isNull(accountTokens.revokedAt)));
    const token = `${ACCOUNT_LINK_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + ACCOUNT_LINK_TTL_HOURS * 3_600_000);
    await tx.insert(accountTokens).values({ userId, kind, tokenHash: hashAccountLink(token), createdBy, expiresAt });
    return { kind, token, expiresAt };
  }

  /**
   * A new invite link for someone who never set a password, else a reset link. A reset removes the
   * current password and ends every session at once: whoever knew it is out until the link is used.
   */
  async issueLink(userId: string, createdBy: string): Promise<IssuedLink> {
    const link = await this.db.transaction(async (tx) => {
      const [user] = await tx
        .select({ passwordHash: users.passwordHash, googleSubject: users.googleSubject, deactivatedAt: users.deactivatedAt })
        .from(users)
        .where(eq(users.id, userId))
        .for('update');
      if (!user) throw new NotFoundError('User', { field: 'userId' });
      if (user.deactivatedAt) throw new ConflictError('Reactivate this user before issuing a link', { field: 'userId', reason: 'deactivated' });
      const kind: AccountTokenKind = user.passwordHash === null && user.googleSubject === null ? 'invite' : 'reset';
      if (kind === 'reset') {
        await tx.update(users).set({ passwordHash: null, mustChangePassword: false }).where(eq(users.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
      }
      return this.#issueLink(tx, userId, kind, createdBy);
    });
    if (link.kind === 'reset') await this.cache.publish({ kind: 'user', userId });
    return link;
  }

  /** Revokes the pending invite/reset link(s); answers how many were open. */
  async revokeLinks(userId: string): Promise<number> {
    const revoked = await this.db
      .update(accountTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt), isNull(accountTokens.revokedAt), gt(accountTokens.expiresAt, new Date())))
      .returning({ id: accountTokens.id });
    return revoked.length;
  }

  /** Who a link is for, so the landing page can greet them; refuses spent, revoked and expired links. */
  async describeLink(token: string) {
    const [row] = await this.db
      .select({
        kind: accountTokens.kind,
        expiresAt: accountTokens.expiresAt,
        usedAt: accountTokens.usedAt,
        revokedAt: accountTokens.revokedAt,
        username: users.username,
        displayName: users.displayName,
        deactivatedAt: users.deactivatedAt,
      })
      .from(accountTokens)
      .innerJoin(users, eq(users.id, accountTokens.userId))
      .where(eq(accountTokens.tokenHash, hashAccountLink(token)));
    if (!row) throw new AccountLinkError('invalid');
    if (row.usedAt) throw new AccountLinkError('used');
    if (row.revokedAt) throw new AccountLinkError('revoked');
    if (row.expiresAt.getTime() <= Date.now()) throw new AccountLinkError('expired');
    if (row.deactivatedAt) throw new AccountLinkError('deactivated');
    return { kind: row.kind, expiresAt: row.expiresAt, username: row.username, displayName: row.displayName };
  }

  /**
   * Checks a link and the chosen password and hashes it: the slow part of accepting a link, done
   * before any transaction (the embedded PGlite has one connection). Nothing is written.
   */
  async prepareLink(token: string, password: string): Promise<{ passwordHash: string }> {
    const link = await this.describeLink(token);
    assertPasswordPolicy(password, link.username);
    return { passwordHash: await hashPassword(password) };
  }

  /**
   * Spends a link with a password hashed by `prepareLink`: sets it, ends any session the person had.
   * The UPDATE … WHERE used_at IS NULL makes two simultaneous uses end with exactly one winner. Joins
   * the caller's `atomically` scope, so the audit row of the acceptance commits with it.
   */
  async spendLink(token: string, passwordHash: string) {
    const accepted = await this.db.transaction(async (tx) => {
      const [spent] = await tx
        .update(accountTokens)
        .set({ usedAt: new Date() })
        .where(and(eq(accountTokens.tokenHash, hashAccountLink(token)), isNull(accountTokens.usedAt), isNull(accountTokens.revokedAt), gt(accountTokens.expiresAt, new Date())))
        .returning({ userId: accountTokens.userId, kind: accountTokens.kind });
      if (!spent) throw new AccountLinkError('used');
      const [user] = await tx
        .update(users)
        .set({ passwordHash, mustChangePassword: false })
        .where(and(eq(users.id, spent.userId), isNull(users.deactivatedAt)))
        .returning({ id: users.id, username: users.username });
      if (!user) throw new AccountLinkError('deactivated');
      await tx.delete(sessions).where(eq(sessions.userId, user.id));
      return { userId: user.id, username: user.username, kind: spent.kind };
    });
    await this.cache.publish({ kind: 'user', userId: accepted.userId });
    return accepted;
  }

  /**
   * Refuses a change that would leave no active system Admin. Runs inside the change's transaction
   * with the Admins' rows locked, so two Admins demoting each other at once cannot both succeed.
   */
  async #keepAnAdmin(tx: Tx, userId: string, field: string): Promise<void> {
    const adminRoleId = await this.#roleId(tx, 'Admin');
    const admins = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.roleId, adminRoleId), isNull(users.deactivatedAt)))
      .for('update');
    if (admins.some((admin) => admin.id === userId) && admins.length === 1) {
      throw new ConflictError('This is the last active system Admin; make someone else an Admin first', { field, reason: 'last_admin' });
    }
  }

  async update(userId: string, change: { displayName?: string | null | undefined; email?: string | null | undefined; systemRole?: SystemRole | undefined }) {
    const updated = await this.db.transaction(async (tx) => {
      const [current] = await tx.select({ roleId: users.roleId }).from(users).where(eq(users.id, userId)).for('update');
      if (!current) throw new NotFoundError('User', { field: 'userId' });
      const set: Partial<typeof users.$inferInsert> = {};
      if (change.displayName !== undefined) set.displayName = change.displayName;
      if (change.email !== undefined) set.email = change.email;
      let previousRole: string | null = null;
      if (change.systemRole !== undefined) {
        const roleId = await this.#roleId(tx, change.systemRole);
        if (roleId !== current.roleId) {
          const [before] = await tx.select({ name: roles.name }).from(roles).where(eq(roles.id, current.roleId));
          previousRole = before?.name ?? null;
          if (previousRole === 'Admin') await this.#keepAnAdmin(tx, userId, 'systemRole');
          set.roleId = roleId;
        }
      }
      if (Object.keys(set).length > 0) await tx.update(users).set(set).where(eq(users.id, userId));
      return { previousRole };
    });
    await this.cache.publish({ kind: 'user', userId });
    return updated;
  }

  /** Deactivates: sign-in refused, sessions ended now, pending links revoked. Audit history stays. */
  async deactivate(userId: string): Promise<{ endedSessions: number }> {
    const deactivated = await this.db.transaction(async (tx) => {
      const [user] = await tx.select({ deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, userId)).for('update');
      if (!user) throw new NotFoundError('User', { field: 'userId' });
      if (user.deactivatedAt) return { endedSessions: 0 };
      await this.#keepAnAdmin(tx, userId, 'userId');
      await tx.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, userId));
      await tx
        .update(accountTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt), isNull(accountTokens.revokedAt)));
      const ended = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
      return { endedSessions: ended.length };
    });
    // Their sessions and every token they made stop on every instance.
    await this.cache.publish({ kind: 'user', userId });
    return deactivated;
  }

  async reactivate(userId: string): Promise<void> {
    const [row] = await this.db.update(users).set({ deactivatedAt: null }).where(eq(users.id, userId)).returning({ id: users.id });
    if (!row) throw new NotFoundError('User', { field: 'userId' });
    await this.cache.publish({ kind: 'user', userId });
  }

  /**
   * A person changes their own password: the current one is required (a session left open on a
   * shared computer must not be enough), the new one meets the policy and differs from the current.
   * The slow part (verifying, hashing) runs here, before any transaction; nothing is written.
   */
  async prepareOwnPasswordChange(userId: string, input: { currentPassword: string; newPassword: string }): Promise<PreparedPasswordChange> {
    const [user] = await this.db.select({ username: users.username, passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
    if (!user) throw new NotFoundError('User', { field: 'userId' });
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw currentPasswordIncorrect();
    }
    assertPasswordPolicy(input.newPassword, user.username, 'newPassword');
    if (await verifyPassword(user.passwordHash, input.newPassword)) {
      throw new InvalidInputError('newPassword', 'The new password must differ from the current one', { rule: 'not_current', fields: [{ path: 'newPassword', message: 'must differ from the current password' }] });
    }
    return { userId, previousHash: user.passwordHash, passwordHash: await hashPassword(input.newPassword) };
  }

  /**
   * Writes a change prepared by `prepareOwnPasswordChange`; every other session ends, `keepSessionId`
   * (the caller's) stays. Only when the password is still the one verified: a change that raced in
   * between wins and this one is refused as a wrong current password. Joins the caller's
   * `atomically` scope, so the audit row commits with the change.
   */
  async applyOwnPasswordChange(prepared: PreparedPasswordChange, keepStoredSessionId: string | undefined) {
    const applied = await this.db.transaction(async (tx) => {
      const [changed] = await tx
        .update(users)
        .set({ passwordHash: prepared.passwordHash, mustChangePassword: false })
        .where(and(eq(users.id, prepared.userId), eq(users.passwordHash, prepared.previousHash)))
        .returning({ id: users.id });
      if (!changed) throw currentPasswordIncorrect();
      const ended = await tx
        .delete(sessions)
        .where(and(eq(sessions.userId, prepared.userId), keepStoredSessionId === undefined ? undefined : ne(sessions.id, keepStoredSessionId)))
        .returning({ id: sessions.id });
      return { endedSessions: ended.length };
    });
    // The kept session is read again too: it no longer has to change its password.
    await this.cache.publish({ kind: 'user', userId: prepared.userId });
    return applied;
  }

  async setOwnDisplayName(userId: string, displayName: string | null): Promise<void> {
    await this.db.update(users).set({ displayName }).where(eq(users.id, userId));
    await this.cache.publish({ kind: 'user', userId });
  }
}

export interface PreparedPasswordChange {
  userId: string;
  /** The hash the current password was verified against; the change applies only while it stands. */
  previousHash: string;
  passwordHash: string;
}

function currentPasswordIncorrect(): InvalidInputError {
  return new InvalidInputError('currentPassword', 'The current password is not correct', { fields: [{ path: 'currentPassword', message: 'is not correct' }] });
}

export interface NewPerson {
  username: string;
  displayName?: string | null | undefined;
  email?: string | null | undefined;
  systemRole: SystemRole;
  createdBy: string;
}
