// The connections registry (MISSION F2). Credentials are sealed with the key ring, bound to the
// row id and field, before they touch the database; the password never leaves this module.
import { randomUUID } from 'node:crypto';
import type { StudioDatabase } from '@studio/db';
import { connectionAccess, connections, environments, projects, type ConnectionOptions, type ConnectionTlsRecord, type ConnectionType } from '@studio/db/schema';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { ConnectionTestResult, ConnectionTestTarget } from './connection-test';
import type { KeyRing } from './crypto';
import { assertEncryptionSettings, lastTlsOf, requestedEncryptionOf, type RequestedEncryption } from './connection-tls';
import { assertOptionsFitType, assertPasswordResupplied, patchStoredTarget } from './credential-target';
import { DEFAULT_AUTH_CACHE, type AuthCacheOptions } from './auth-cache';
import { ConnectionListCache, deepFreeze } from './connection-list-cache';
import type { Invalidation, InvalidationChannel, InvalidationSubscriber } from './invalidation';
import { inTransaction } from './unit-of-work';
import { expectRow, NotFoundError } from './errors';
import type { ConnectionUseFacts } from './policy';
import { keysetPage } from './pagination';
import { hideLogin } from './server-messages';

export interface ConnectionInput {
  name: string;
  description?: string | null | undefined;
  type: ConnectionType;
  host: string;
  port: number;
  database: string;
  user: string;
  /** Write-only. Omitted on update = keep (refused when the target changes); null = clear. */
  password?: string | null | undefined;
  options?: ConnectionOptions | undefined;
}

export type ConnectionPatch = Partial<ConnectionInput>;

/** JSON with object keys sorted: stored options (jsonb) come back in another key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** What a driver needs to log in: the sealed credentials, selected only to be decrypted by settingsFrom(). */
export const settingsColumns = {
  id: connections.id,
  name: connections.name,
  type: connections.type,
  host: connections.host,
  port: connections.port,
  database: connections.database,
  userEncrypted: connections.userEncrypted,
  passwordEncrypted: connections.passwordEncrypted,
  options: connections.options,
};

export type ConnectionSettingsRow = { [K in keyof typeof settingsColumns]: (typeof connections.$inferSelect)[K] };
export type ConnectionSettings = ConnectionTestTarget & { id: string; name: string };

/**
 * What callers see of a connection. Explicit columns: `password_encrypted` is never selected, only
 * whether it is set; `user_encrypted` is selected to be decrypted and is dropped by `present()`.
 */
const readColumns = {
  id: connections.id,
  workspaceId: connections.workspaceId,
  name: connections.name,
  description: connections.description,
  type: connections.type,
  host: connections.host,
  port: connections.port,
  database: connections.database,
  userEncrypted: connections.userEncrypted,
  hasPassword: sql<boolean>`(${connections.passwordEncrypted} is not null)`.as('has_password'),
  options: connections.options,
  status: connections.status,
  lastTestedAt: connections.lastTestedAt,
  lastError: connections.lastError,
  lastTls: connections.lastTls,
  createdBy: connections.createdBy,
  createdAt: connections.createdAt,
  updatedAt: connections.updatedAt,
};

/**
 * The database user name is sealed like the password; it is shown only to those who manage the
 * connection (Owner/Admin, or a `manage` grant), never to Viewers or plain Members.
 */
export interface ConnectionView {
  revealUser: boolean;
}

export const credentialContext = (connectionId: string, field: 'user' | 'password') => `connection:${connectionId}:${field}`;

/** Decrypted user names kept per instance (a page of 25 cost 25 AES-GCM openings); bounded, oldest out. */
const USER_NAME_CACHE_SIZE = 10_000;

export interface ConnectionServiceOptions {
  /**
   * Where changes to the list are announced and heard (services/index.ts passes the instance's
   * channel). Without one nothing is cached: every list call reads the registry.
   */
  invalidation?: InvalidationChannel | undefined;
  /** The auth cache's TTL: how long a page may be served before it is read again, whatever was heard. 0 turns caching off. */
  cache?: AuthCacheOptions | undefined;
}

type ListPage = Awaited<ReturnType<ConnectionService['readPage']>>;

export class ConnectionService implements InvalidationSubscriber {
  /**
   * Sealed user name → plain user name, keyed by the ciphertext with its row id (a ciphertext opens
   * only under its own row's context, and a new one is written with a fresh nonce on every change,
   * so an entry can never answer for another value). Passwords are never kept.
   */
  readonly #userNames = new Map<string, string>();
  /** The list's two statements, built once (with and without a cursor): drizzle's query building was a tenth of a list call. */
  readonly #listFirst;
  readonly #listAfter;
  /** Presented pages of the list (decision 023), dropped by a `connections` message for their workspace. */
  readonly #pages = new ConnectionListCache<ListPage>();
  /** Page reads under way, by generation, workspace and page (see `list`). */
  readonly #reading = new Map<string, Promise<ListPage>>();
  /** Bumped by every change heard: a page read while one arrived is answered once, not kept. */
  #generation = 0;

  constructor(
    private readonly db: StudioDatabase,
    private readonly keyRing: KeyRing,
    private readonly options: ConnectionServiceOptions = {},
  ) {
    options.invalidation?.subscribe(this);
    const byWorkspace = eq(connections.workspaceId, sql.placeholder('workspaceId'));
    this.#listFirst = db.select(readColumns).from(connections).where(byWorkspace).orderBy(asc(connections.name)).limit(sql.placeholder('limit')).prepare('connections_list_first');
    this.#listAfter = db
      .select(readColumns)
      .from(connections)
      .where(and(byWorkspace, gt(connections.name, sql.placeholder('afterName'))))
      .orderBy(asc(connections.name))
      .limit(sql.placeholder('limit'))
      .prepare('connections_list_after');
  }

  #userName(connectionId: string, userEncrypted: string): string {
    const key = `${connectionId}\u0000${userEncrypted}`;
    const known = this.#userNames.get(key);
    if (known !== undefined) return known;
    const plain = this.keyRing.decrypt(userEncrypted, credentialContext(connectionId, 'user'));
    if (this.#userNames.size >= USER_NAME_CACHE_SIZE) {
      const oldest = this.#userNames.keys().next().value;
      if (oldest !== undefined) this.#userNames.delete(oldest);
    }
    this.#userNames.set(key, plain);
    return plain;
  }

  /**
   * `user` is decrypted only for callers who may manage the connection; others see null, and the
   * server's last error without the login name in it.
   */
  #present<Row extends { id: string; type: ConnectionType; options: ConnectionOptions; userEncrypted: string; lastError: string | null; lastTls: ConnectionTlsRecord | null }>(
    row: Row,
    view: ConnectionView,
  ): Omit<Row, 'userEncrypted' | 'lastTls'> & { user: string | null; encryption: RequestedEncryption; lastTls: ReturnType<typeof lastTlsOf> } {
    const { userEncrypted, lastTls: stored, ...rest } = row;
    const shown = { encryption: requestedEncryptionOf(row.type, row.options), lastTls: lastTlsOf(stored) };
    if (view.revealUser) return { ...rest, ...shown, user: this.#userName(row.id, userEncrypted) };
    return { ...rest, ...shown, lastError: this.#hideLogin(row.id, userEncrypted, row.lastError), user: null };
  }

  #hideLogin(connectionId: string, userEncrypted: string, message: string | null): string | null {
    return message === null ? null : hideLogin(message, this.#userName(connectionId, userEncrypted));
  }

  /**
   * Ordered by name; `after` is the name of the last row of the previous page (names are unique per
   * workspace). Served from this instance's pages while the invalidation channel listens (never
   * inside a transaction, which may have changed rows this cache has not heard of yet); the page is
   * frozen: every caller gets the same one.
   */
  async list(workspaceId: string, page: { afterName?: string | undefined; limit: number }, view: ConnectionView): Promise<ListPage> {
    const ttlMs = (this.options.cache ?? DEFAULT_AUTH_CACHE).ttlMs;
    const usable = this.options.invalidation?.listening === true && ttlMs > 0 && !inTransaction();
    if (!usable) return this.readPage(workspaceId, page, view);
    // The view is part of the key: a page with user names is never handed to a caller without them.
    const pageKey = `${view.revealUser ? 'manager' : 'reader'}\u0000${page.limit}\u0000${page.afterName ?? ''}`;
    const hit = this.#pages.get(workspaceId, pageKey, Date.now());
    if (hit) return hit;
    // Callers that miss together share one read (when a page expires under 1,000 clients, one
    // statement instead of 1,000 queued for the pool); a caller that comes after a change was
    // heard never joins a read that began before it.
    const generation = this.#generation;
    const flightKey = `${generation}\u0000${workspaceId}\u0000${pageKey}`;
    const flying = this.#reading.get(flightKey);
    if (flying) return flying;
    const reading = this.readPage(workspaceId, page, view).then((read) => {
      const fresh = deepFreeze(read);
      if (generation === this.#generation) this.#pages.set(workspaceId, pageKey, fresh, fresh.items.length, Date.now() + ttlMs);
      return fresh;
    });
    this.#reading.set(flightKey, reading);
    try {
      return await reading;
    } finally {
      this.#reading.delete(flightKey);
    }
  }

  /** One page read from the registry and presented for `view` (what `list` keeps). */
  async readPage(workspaceId: string, page: { afterName?: string | undefined; limit: number }, view: ConnectionView) {
    const limit = page.limit + 1;
    const rows =
      page.afterName === undefined ? await this.#listFirst.execute({ workspaceId, limit }) : await this.#listAfter.execute({ workspaceId, afterName: page.afterName, limit });
    const found = keysetPage(rows, page.limit, (row) => row.name);
    return { ...found, items: found.items.map((row) => this.#present(row, view)) };
  }

  changed(message: Invalidation): void {
    if (message.kind !== 'connections') return;
    this.#pages.dropWorkspace(message.workspaceId);
    this.#generation += 1;
  }

  missed(): void {
    this.#pages.clear();
    this.#generation += 1;
  }

  /**
   * Announces that what a workspace's list shows changed. Every writer below calls it after its
   * statement, and so does an environment deleted with its own connection (environments.ts):
   * inside an `atomically` scope (every API path) or a transaction handed in as `db`
   * joined to one, the announcement commits with the change; this instance drops its pages once
   * the transaction has ended, before the caller is answered.
   */
  async listChanged(workspaceId: string): Promise<void> {
    await this.options.invalidation?.publish({ kind: 'connections', workspaceId });
  }

  async get(workspaceId: string, connectionId: string, view: ConnectionView, db: StudioDatabase = this.db) {
    const [row] = await db
      .select(readColumns)
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    return this.#present(row, view);
  }

  /** `db` may be a transaction (an environment saving its connection). */
  async create(workspaceId: string, input: ConnectionInput, createdBy: string | null, db: StudioDatabase = this.db) {
    assertOptionsFitType(input.type, input.options);
    assertEncryptionSettings(input.type, input.options ?? {});
    // The id is made here, not by the database, because the ciphertexts are bound to it.
    const id = randomUUID();
    const user = this.keyRing.encrypt(input.user, credentialContext(id, 'user'));
    const password = input.password == null ? null : this.keyRing.encrypt(input.password, credentialContext(id, 'password'));
    await db.insert(connections).values({
      id,
      workspaceId,
      name: input.name,
      description: input.description ?? null,
      type: input.type,
      host: input.host,
      port: input.port,
      database: input.database,
      userEncrypted: user.ciphertext,
      passwordEncrypted: password?.ciphertext ?? null,
      keyVersion: user.keyVersion,
      options: input.options ?? {},
      createdBy,
    });
    await this.listChanged(workspaceId);
    return this.get(workspaceId, id, { revealUser: true }, db);
  }

  /**
   * Applies a patch. Both credentials are re-sealed with the current key on every update so
   * `key_version` stays true for the whole row. A patch that moves the connection elsewhere must
   * carry the password (PasswordRequiredError): the stored one only goes where it was saved for.
   */
  async update(workspaceId: string, connectionId: string, patch: ConnectionPatch, db: StudioDatabase = this.db, verified: ConnectionTestResult | null = null) {
    const updated = await db.transaction(async (tx) => {
      const [current] = await tx
        .select(settingsColumns)
        .from(connections)
        .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)))
        .for('update');
      if (!current) throw new NotFoundError('Connection', { field: 'connectionId' });
      // A new type must fit the stored mode too (a SQL Server 'strict' cannot become PostgreSQL's).
      assertEncryptionSettings(patch.type ?? current.type, patch.options ?? current.options);
      const currentUser = this.keyRing.decrypt(current.userEncrypted, credentialContext(connectionId, 'user'));
      assertPasswordResupplied(
        { ...current, user: currentUser },
        {
          type: patch.type ?? current.type,
          host: patch.host ?? current.host,
          port: patch.port ?? current.port,
          database: patch.database ?? current.database,
          user: patch.user ?? currentUser,
          options: patch.options ?? current.options,
        },
        { password: patch.password, hasStoredPassword: current.passwordEncrypted !== null, field: 'password' },
      );
      assertOptionsFitType(patch.type ?? current.type, patch.options ?? current.options);
      const plainUser = patch.user ?? currentUser;
      const plainPassword =
        patch.password === undefined
          ? current.passwordEncrypted === null
            ? null
            : this.keyRing.decrypt(current.passwordEncrypted, credentialContext(connectionId, 'password'))
          : patch.password;
      const user = this.keyRing.encrypt(plainUser, credentialContext(connectionId, 'user'));
      const password = plainPassword === null ? null : this.keyRing.encrypt(plainPassword, credentialContext(connectionId, 'password'));
      await tx
        .update(connections)
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.type !== undefined && { type: patch.type }),
          ...(patch.host !== undefined && { host: patch.host }),
          ...(patch.port !== undefined && { port: patch.port }),
          ...(patch.database !== undefined && { database: patch.database }),
          ...(patch.options !== undefined && { options: patch.options }),
          userEncrypted: user.ciphertext,
          passwordEncrypted: password?.ciphertext ?? null,
          keyVersion: user.keyVersion,
          // A changed target invalidates what the last test said about it.
          ...((patch.host !== undefined || patch.port !== undefined || patch.user !== undefined || patch.password !== undefined || patch.type !== undefined || patch.database !== undefined) && {
            status: 'unknown' as const,
            lastError: null,
          }),
          // What was negotiated under other settings says nothing about these.
          ...((patch.host !== undefined || patch.port !== undefined || patch.type !== undefined || patch.options !== undefined) && { lastTls: null }),
          // Verified before this save: what the verification found is the new status.
          ...(verified?.success === true && { status: 'healthy' as const, lastTestedAt: new Date(), lastError: null }),
        })
        .where(eq(connections.id, connectionId));
      const [row] = await tx.select(readColumns).from(connections).where(eq(connections.id, connectionId));
      return this.#present(expectRow(row, 'connection select'), { revealUser: true });
    });
    // After the update's own (nested) transaction: in a scope it is still the change's transaction;
    // outside one the update has committed, so no instance can re-read the old row after hearing it.
    await this.listChanged(workspaceId);
    return updated;
  }

  /**
   * What an update would save, before anything is written: the merged settings (decrypted), whether
   * a pool would log in differently, and whether the connection is in use (backs an environment,
   * or its last test passed): then the save verifies the new settings first. The password check
   * runs here too, so no verification sends the stored password somewhere new.
   */
  async planUpdate(workspaceId: string, connectionId: string, patch: ConnectionPatch) {
    const current = await this.settingsOf(workspaceId, connectionId);
    const next: ConnectionTestTarget = patchStoredTarget(current, patch, 'password');
    assertOptionsFitType(next.type, next.options);
    const settingsChanged =
      next.type !== current.type ||
      next.host !== current.host ||
      next.port !== current.port ||
      next.database !== current.database ||
      next.user !== current.user ||
      next.password !== current.password ||
      canonicalJson(next.options) !== canonicalJson(current.options);
    const [[status], environmentRows] = await Promise.all([
      this.db.select({ status: connections.status }).from(connections).where(eq(connections.id, connectionId)),
      this.db.select({ id: environments.id }).from(environments).where(and(eq(environments.workspaceId, workspaceId), eq(environments.connectionId, connectionId))).limit(1),
    ]);
    return { next, settingsChanged, inUse: status?.status === 'healthy' || environmentRows.length > 0 };
  }

  /** What refers to a connection (its delete sets these to NULL): environments and import projects. */
  async referencesOf(workspaceId: string, connectionId: string) {
    await this.hostOf(workspaceId, connectionId);
    const [environmentRows, projectRows] = await Promise.all([
      this.db
        .select({ id: environments.id, name: environments.name })
        .from(environments)
        .where(and(eq(environments.workspaceId, workspaceId), eq(environments.connectionId, connectionId)))
        .orderBy(environments.name),
      this.db
        .select({ id: projects.id, name: projects.name })
        .from(projects)
        .where(and(eq(projects.workspaceId, workspaceId), eq(projects.connectionId, connectionId)))
        .orderBy(projects.name),
    ]);
    return { environments: environmentRows, projects: projectRows };
  }

  async delete(workspaceId: string, connectionId: string) {
    const [row] = await this.db
      .delete(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)))
      .returning({ id: connections.id, name: connections.name });
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    await this.listChanged(workspaceId);
    return row;
  }

  /**
   * The decrypted settings of a saved connection, for a test or a pool target. Stays inside the
   * process: never returned to a caller.
   */
  async settingsOf(workspaceId: string, connectionId: string): Promise<ConnectionSettings> {
    const [row] = await this.db
      .select(settingsColumns)
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    return this.settingsFrom(row);
  }

  /**
   * Proves this instance's key ring reads what is stored: decrypts the login of one connection
   * sealed with the newest key version in use. Throws KeyRingError when it cannot; false when no
   * credential is stored yet.
   */
  async verifyKeyRing(): Promise<boolean> {
    const [row] = await this.db
      .select({ id: connections.id, userEncrypted: connections.userEncrypted })
      .from(connections)
      .orderBy(desc(connections.keyVersion))
      .limit(1);
    if (!row) return false;
    this.keyRing.decrypt(row.userEncrypted, credentialContext(row.id, 'user'));
    return true;
  }

  /** Decrypts a row read with `settingsColumns` (for callers that join the connection into their own query). */
  settingsFrom(row: ConnectionSettingsRow): ConnectionSettings {
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      host: row.host,
      port: row.port,
      database: row.database,
      user: this.keyRing.decrypt(row.userEncrypted, credentialContext(row.id, 'user')),
      password: row.passwordEncrypted === null ? null : this.keyRing.decrypt(row.passwordEncrypted, credentialContext(row.id, 'password')),
      options: row.options,
    };
  }

  /** Writes what a test found: status, last_tested_at and the server's reason (never a credential). */
  async recordTest(workspaceId: string, connectionId: string, result: ConnectionTestResult) {
    const [row] = await this.db
      .update(connections)
      .set({ status: result.success ? 'healthy' : 'unhealthy', lastTestedAt: new Date(), lastError: result.success ? null : result.message.slice(0, 2_000), lastTls: result.negotiated })
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)))
      .returning({ status: connections.status, lastTestedAt: connections.lastTestedAt, lastError: connections.lastError });
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    await this.listChanged(workspaceId);
    return row;
  }

  /** Inside a save: healthy after a passing test, unknown when saved untested. */
  async setTestedStatus(workspaceId: string, connectionId: string, test: ConnectionTestResult | null, db: StudioDatabase = this.db) {
    await db
      .update(connections)
      .set(
        test === null
          ? { status: 'unknown', lastError: null, lastTls: null }
          : { status: test.success ? 'healthy' : 'unhealthy', lastTestedAt: new Date(), lastError: test.success ? null : test.message.slice(0, 2_000), lastTls: test.negotiated },
      )
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    await this.listChanged(workspaceId);
  }

  /** The last test's outcome; the login name is taken out of its error unless the view reveals it. */
  async statusOf(workspaceId: string, connectionId: string, view: ConnectionView = { revealUser: false }) {
    const [row] = await this.db
      .select({ id: connections.id, type: connections.type, status: connections.status, lastTestedAt: connections.lastTestedAt, lastError: connections.lastError, userEncrypted: connections.userEncrypted })
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    const { userEncrypted, ...status } = row;
    return view.revealUser ? status : { ...status, lastError: this.#hideLogin(row.id, userEncrypted, row.lastError) };
  }

  /** The host of a connection, for outbound checks on update. */
  async hostOf(workspaceId: string, connectionId: string) {
    const [row] = await this.db
      .select({ host: connections.host })
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    return row.host;
  }

  /**
   * What policy.canUseConnection needs: the user's grant and whether this connection backs the
   * workspace's default environment, with the connection's name for a refusal's sentence. Throws
   * NOT_FOUND for a connection of another workspace.
   */
  async useFacts(workspaceId: string, connectionId: string, userId: string | null): Promise<ConnectionUseFacts & { name: string }> {
    const [grant, defaults, [named]] = await Promise.all([
      userId === null ? undefined : this.grantOf(connectionId, userId),
      this.db
        .select({ id: environments.id })
        .from(environments)
        .where(and(eq(environments.workspaceId, workspaceId), eq(environments.isDefault, true), eq(environments.connectionId, connectionId))),
      this.db.select({ name: connections.name }).from(connections).where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId))),
    ]);
    if (!named) throw new NotFoundError('Connection', { field: 'connectionId' });
    return { name: named.name, grant, isDefaultEnvironmentConnection: defaults.length > 0 };
  }

  /** The user's grant on a connection of this workspace (undefined when none). */
  async grantOf(connectionId: string, userId: string) {
    const [row] = await this.db
      .select({ level: connectionAccess.level })
      .from(connectionAccess)
      .where(and(eq(connectionAccess.connectionId, connectionId), eq(connectionAccess.userId, userId)));
    return row?.level;
  }
}

