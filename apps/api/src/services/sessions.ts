// Sign-in and sessions (lucia v3 over the drizzle adapter). Cookies are the HTTP layer's business
// (context.ts); this service only creates, validates, lists and ends sessions.
import { hash } from 'node:crypto';
import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle';
import type { StudioDatabase } from '@studio/db';
import { hashPassword, verifyPassword } from '@studio/db/password';
import { sessions, users } from '@studio/db/schema';
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import { Lucia, TimeSpan } from 'lucia';
import { NotFoundError, ServiceError } from './errors';

export const SESSION_COOKIE_NAME = 'studio_session';

export function createLucia(db: StudioDatabase, ttlHours: number) {
  return new Lucia(new DrizzlePostgreSQLAdapter(db, sessions, users), {
    sessionExpiresIn: new TimeSpan(ttlHours, 'h'),
    sessionCookie: {
      name: SESSION_COOKIE_NAME,
      // `secure` is decided per request by the HTTP layer (true when the request came over TLS).
      attributes: { sameSite: 'lax', secure: false },
    },
    // Explicit: lucia must never carry password_hash (or anything else) beyond these fields.
    getUserAttributes: (attributes) => ({ username: attributes.username, displayName: attributes.displayName }),
  });
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    UserId: string;
    DatabaseUserAttributes: { username: string; displayName: string | null };
  }
}

export type StudioLucia = ReturnType<typeof createLucia>;

export interface SessionUser {
  id: string;
  username: string;
  displayName: string | null;
}

/**
 * Public id of a session: a hash of lucia's id, so listing sessions never hands out the
 * bearer secret that the HttpOnly cookie keeps away from scripts.
 */
export function publicSessionId(sessionId: string): string {
  return hash('sha256', sessionId, 'base64url').slice(0, 22);
}

export class SessionService {
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: StudioDatabase,
    readonly lucia: StudioLucia,
  ) {}

  /**
   * Verifies a username/password. Unknown users and users without a password still cost one
   * argon2 verification, so response time does not reveal which usernames exist.
   */
  async verifyCredentials(username: string, password: string): Promise<SessionUser> {
    const [user] = await this.db
      .select({ id: users.id, username: users.username, displayName: users.displayName, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(sql`lower(${users.username})`, username.toLowerCase()));
    this.#dummyHash ??= hashPassword('not-a-real-password-timing-equaliser');
    const hash = user?.passwordHash ?? (await this.#dummyHash);
    const ok = await verifyPassword(hash, password);
    if (!user || !user.passwordHash || !ok) {
      throw new ServiceError('authentication_failed', 'Invalid username or password', {});
    }
    return { id: user.id, username: user.username, displayName: user.displayName };
  }

  async create(userId: string) {
    return this.lucia.createSession(userId, {});
  }

  /** The session and its user, or null; `session.fresh` means the expiry was extended (re-send the cookie). */
  async validate(sessionId: string) {
    const result = await this.lucia.validateSession(sessionId);
    return result.session ? result : null;
  }

  async invalidate(sessionId: string): Promise<void> {
    await this.lucia.invalidateSession(sessionId);
  }

  async listForUser(userId: string, currentSessionId: string | undefined) {
    const rows = await this.db
      .select({ id: sessions.id, createdAt: sessions.createdAt, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, new Date())))
      .orderBy(asc(sessions.createdAt));
    return rows.map((row) => ({
      id: publicSessionId(row.id),
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      current: row.id === currentSessionId,
    }));
  }

  /** Ends one of the user's own sessions, named by its public id. */
  async revokeForUser(userId: string, publicId: string): Promise<void> {
    const rows = await this.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
    const match = rows.find((row) => publicSessionId(row.id) === publicId);
    if (!match) throw new NotFoundError('Session', { field: 'id' });
    await this.lucia.invalidateSession(match.id);
  }

  /**
   * Ends every session of the user except `keepSessionId` (the caller's own; undefined ends all).
   * Answers how many were ended.
   */
  async revokeOthersForUser(userId: string, keepSessionId: string | undefined): Promise<number> {
    const ended = await this.db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), keepSessionId === undefined ? undefined : ne(sessions.id, keepSessionId)))
      .returning({ id: sessions.id });
    return ended.length;
  }
}
