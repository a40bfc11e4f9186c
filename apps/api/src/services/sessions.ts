// Sign-in and sessions (lucia v3 over the drizzle adapter). Cookies are the HTTP layer's business
// (context.ts); this service only creates, validates, lists and ends sessions.
import { hash } from 'node:crypto';
import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle';
import type { StudioDatabase } from '@studio/db';
import { hashPassword, verifyPassword } from '@studio/db/password';
import { sessions, users } from '@studio/db/schema';
import Bowser from 'bowser';
import { and, asc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { Lucia, TimeSpan, type Adapter, type DatabaseSession } from 'lucia';
import { AuthCache } from './auth-cache';
import { NotFoundError, ServiceError } from './errors';

export const SESSION_COOKIE_NAME = 'studio_session';
/** last_used_at is written at most this often per session (a busy page must not write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * What the sessions table keeps instead of lucia's id: its sha256. The id is the bearer secret in
 * the cookie; a copy of the database must not be a list of sessions to take over.
 */
export function storedSessionId(sessionId: string): string {
  return hash('sha256', sessionId, 'hex');
}

function publicIdOfStored(stored: string): string {
  return hash('sha256', `public:${stored}`, 'base64url').slice(0, 22);
}

/**
 * Public id of a session, as listed to its owner: derived from the stored hash, so listing and
 * revoking never hand out (or need) the bearer secret that the HttpOnly cookie keeps from scripts.
 */
export function publicSessionId(sessionId: string): string {
  return publicIdOfStored(storedSessionId(sessionId));
}

/**
 * lucia's drizzle adapter with every session id hashed on the way in. lucia keeps working with the
 * real id (cookie, validation, expiry extension); the table only ever sees its hash.
 */
class HashedSessionAdapter implements Adapter {
  readonly #inner: DrizzlePostgreSQLAdapter;

  constructor(db: StudioDatabase) {
    this.#inner = new DrizzlePostgreSQLAdapter(db, sessions, users);
  }

  async getSessionAndUser(sessionId: string) {
    const [session, user] = await this.#inner.getSessionAndUser(storedSessionId(sessionId));
    return [session ? { ...session, id: sessionId } : null, user] as [DatabaseSession | null, typeof user];
  }

  getUserSessions(userId: string) {
    return this.#inner.getUserSessions(userId);
  }

  setSession(session: DatabaseSession) {
    return this.#inner.setSession({ ...session, id: storedSessionId(session.id) });
  }

  updateSessionExpiration(sessionId: string, expiresAt: Date) {
    return this.#inner.updateSessionExpiration(storedSessionId(sessionId), expiresAt);
  }

  deleteSession(sessionId: string) {
    return this.#inner.deleteSession(storedSessionId(sessionId));
  }

  deleteUserSessions(userId: string) {
    return this.#inner.deleteUserSessions(userId);
  }

  deleteExpiredSessions() {
    return this.#inner.deleteExpiredSessions();
  }
}

export function createLucia(db: StudioDatabase, ttlHours: number) {
  return new Lucia(new HashedSessionAdapter(db), {
    sessionExpiresIn: new TimeSpan(ttlHours, 'h'),
    sessionCookie: {
      name: SESSION_COOKIE_NAME,
      // `secure` is decided per request by the HTTP layer (true when the request came over TLS).
      attributes: { sameSite: 'lax', secure: false },
    },
    // Explicit: lucia must never carry password_hash (or anything else) beyond these fields.
    getUserAttributes: (attributes) => ({
      username: attributes.username,
      displayName: attributes.displayName,
      mustChangePassword: attributes.mustChangePassword,
      deactivatedAt: attributes.deactivatedAt,
    }),
  });
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    UserId: string;
    DatabaseUserAttributes: { username: string; displayName: string | null; mustChangePassword: boolean; deactivatedAt: Date | null };
    DatabaseSessionAttributes: { ip: string | null; userAgent: string | null };
  }
}

export type StudioLucia = ReturnType<typeof createLucia>;

export interface SessionUser {
  id: string;
  username: string;
  displayName: string | null;
}

export interface SessionMeta {
  ip: string | null;
  userAgent: string | null;
}

/** "Chrome 130 on Linux" from a user agent; null when it names no browser (scripts, tests). */
export function deviceOf(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const parser = Bowser.getParser(userAgent);
  const browser = parser.getBrowserName();
  if (!browser) return null;
  const major = parser.getBrowserVersion()?.split('.')[0];
  const os = parser.getOSName();
  return `${browser}${major ? ` ${major}` : ''}${os ? ` on ${os}` : ''}`;
}

/** Why a password sign-in was refused; the audit row keeps it, the caller only hears "invalid". */
export type SignInFailureReason = 'invalid_credentials' | 'deactivated' | 'no_password';

export class SignInRefusedError extends ServiceError {
  constructor(readonly reason: SignInFailureReason) {
    super('authentication_failed', 'Invalid username or password', {});
    this.name = 'SignInRefusedError';
  }
}

export class SessionService {
  #dummyHash: Promise<string> | undefined;
  readonly #lastWrite = new Map<string, number>();

  constructor(
    private readonly db: StudioDatabase,
    readonly lucia: StudioLucia,
    private readonly cache: AuthCache = new AuthCache(undefined),
    /** The lucia session lifetime: past half of it lucia extends the session, which only the database can do. */
    private readonly ttlHours = 24,
  ) {}

  /**
   * Verifies a username/password. Unknown users and users without a password still cost one
   * argon2 verification, so response time does not reveal which usernames exist. A deactivated
   * user is refused like a wrong password (after the same work), so the answer tells nothing.
   */
  async verifyCredentials(username: string, password: string): Promise<SessionUser & { mustChangePassword: boolean }> {
    const [user] = await this.db
      .select({
        id: users.id,
        username: users.username,
        displayName: users.displayName,
        passwordHash: users.passwordHash,
        mustChangePassword: users.mustChangePassword,
        deactivatedAt: users.deactivatedAt,
      })
      .from(users)
      .where(eq(sql`lower(${users.username})`, username.toLowerCase()));
    this.#dummyHash ??= hashPassword('not-a-real-password-timing-equaliser');
    const hash = user?.passwordHash ?? (await this.#dummyHash);
    const ok = await verifyPassword(hash, password);
    if (!user) throw new SignInRefusedError('invalid_credentials');
    if (!user.passwordHash) throw new SignInRefusedError('no_password');
    if (!ok) throw new SignInRefusedError('invalid_credentials');
    if (user.deactivatedAt) throw new SignInRefusedError('deactivated');
    return { id: user.id, username: user.username, displayName: user.displayName, mustChangePassword: user.mustChangePassword };
  }

  /** Opens a session; refused for a deactivated user whichever way they proved who they are (password, OIDC). */
  async create(userId: string, meta: SessionMeta = { ip: null, userAgent: null }) {
    const [active] = await this.db
      .update(users)
      .set({ lastSignInAt: new Date() })
      .where(and(eq(users.id, userId), isNull(users.deactivatedAt)))
      .returning({ id: users.id });
    if (!active) throw new SignInRefusedError('deactivated');
    return this.lucia.createSession(userId, { ip: meta.ip?.slice(0, 64) ?? null, userAgent: meta.userAgent?.slice(0, 512) ?? null });
  }

  /**
   * The session and its user, or null; `session.fresh` means the expiry was extended (re-send the
   * cookie). A deactivated user's session is refused (and ended) even if one survived. Served from
   * the cache until lucia would extend the session, which only the database can do.
   */
  async validate(sessionId: string) {
    const stored = storedSessionId(sessionId);
    const cached = this.cache.get(this.cache.sessions, stored);
    if (cached) {
      await this.#touch(sessionId);
      return { session: { ...cached.session, id: sessionId, fresh: false }, user: { ...cached.user } };
    }
    const ticket = this.cache.ticket();
    const result = await this.lucia.validateSession(sessionId);
    if (!result.session) return null;
    if (result.user.deactivatedAt) {
      await this.lucia.invalidateUserSessions(result.user.id);
      await this.cache.publish({ kind: 'user', userId: result.user.id });
      return null;
    }
    await this.#touch(sessionId);
    const { id: _id, fresh: _fresh, ...session } = result.session;
    const extendsAt = new Date(session.expiresAt.getTime() - (this.ttlHours * 3_600_000) / 2);
    this.cache.keep(this.cache.sessions, stored, { session, user: result.user }, ticket, extendsAt);
    return result;
  }

  async #touch(sessionId: string): Promise<void> {
    const now = Date.now();
    const stored = storedSessionId(sessionId);
    const last = this.#lastWrite.get(stored);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.#lastWrite.set(stored, now);
    if (this.#lastWrite.size > 10_000) this.#lastWrite.clear();
    await this.db
      .update(sessions)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(sessions.id, stored), or(isNull(sessions.lastUsedAt), lt(sessions.lastUsedAt, new Date(now - LAST_USED_RESOLUTION_MS)))));
  }

  async invalidate(sessionId: string): Promise<void> {
    await this.lucia.invalidateSession(sessionId);
    await this.cache.publish({ kind: 'session', storedSessionId: storedSessionId(sessionId) });
  }

  async listForUser(userId: string, currentSessionId: string | undefined) {
    const rows = await this.db
      .select({
        id: sessions.id,
        createdAt: sessions.createdAt,
        expiresAt: sessions.expiresAt,
        lastUsedAt: sessions.lastUsedAt,
        ip: sessions.ip,
        userAgent: sessions.userAgent,
      })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, new Date())))
      .orderBy(asc(sessions.createdAt));
    const current = currentSessionId === undefined ? undefined : storedSessionId(currentSessionId);
    return rows.map((row) => ({
      id: publicIdOfStored(row.id),
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt ?? row.createdAt,
      ip: row.ip,
      userAgent: row.userAgent,
      device: deviceOf(row.userAgent),
      current: row.id === current,
    }));
  }

  /** Ends one of the user's own sessions, named by its public id. */
  async revokeForUser(userId: string, publicId: string): Promise<void> {
    const rows = await this.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
    const match = rows.find((row) => publicIdOfStored(row.id) === publicId);
    if (!match) throw new NotFoundError('Session', { field: 'id' });
    await this.db.delete(sessions).where(eq(sessions.id, match.id));
    await this.cache.publish({ kind: 'session', storedSessionId: match.id });
  }

  /**
   * Ends every session of the user except `keepSessionId` (the caller's own; undefined ends all).
   * Answers how many were ended.
   */
  async revokeOthersForUser(userId: string, keepSessionId: string | undefined): Promise<number> {
    const ended = await this.db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), keepSessionId === undefined ? undefined : ne(sessions.id, storedSessionId(keepSessionId))))
      .returning({ id: sessions.id });
    // The kept session is dropped from caches too (it is read again on its next request).
    if (ended.length > 0) await this.cache.publish({ kind: 'user', userId });
    return ended.length;
  }
}
