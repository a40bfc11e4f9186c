// Workspace-scoped API tokens (MISSION F12). The token is shown once; only its sha256 is stored
// (a 256-bit random secret needs no slow hash), plus a short prefix so people can tell them apart.
import { hash, randomBytes } from 'node:crypto';
import type { StudioDatabase } from '@studio/db';
import { apiTokens, users, workspaceMembers, type WorkspaceRole } from '@studio/db/schema';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { AuthCache } from './auth-cache';
import { expectRow, NotFoundError } from './errors';
import { keysetPage } from './pagination';
import { lowerRole } from './policy';

export const TOKEN_PREFIX = 'wss_';
const PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
/** last_used_at is written at most this often per token (a hot token must not write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashToken(token: string): string {
  return hash('sha256', token);
}

export interface TokenPrincipal {
  kind: 'token';
  tokenId: string;
  workspaceId: string;
  /** What the token may do now: its own role, capped by its creator's current role. */
  role: WorkspaceRole;
  name: string;
  prefix: string;
  /** The person who made it (null: made by the system); rate limits count against them. */
  createdBy: string | null;
}

export const tokenColumns = {
  id: apiTokens.id,
  workspaceId: apiTokens.workspaceId,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  role: apiTokens.role,
  createdBy: apiTokens.createdBy,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
};

export class ApiTokenService {
  readonly #lastWrite = new Map<string, number>();

  constructor(
    private readonly db: StudioDatabase,
    private readonly cache: AuthCache = new AuthCache(undefined),
  ) {}

  async create(input: { workspaceId: string; name: string; role: WorkspaceRole; expiresAt?: Date | null; createdBy: string | null }) {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const [row] = await this.db
      .insert(apiTokens)
      .values({
        workspaceId: input.workspaceId,
        name: input.name,
        role: input.role,
        expiresAt: input.expiresAt ?? null,
        createdBy: input.createdBy,
        tokenHash: hashToken(token),
        prefix: token.slice(0, PREFIX_LENGTH),
      })
      .returning(tokenColumns);
    return { ...expectRow(row, 'api token insert'), token };
  }

  /** Newest first; the cursor is the id of the last token of the previous page. */
  async list(workspaceId: string, page: { afterId?: string | undefined; limit: number }) {
    const rows = await this.db
      .select(tokenColumns)
      .from(apiTokens)
      .where(
        and(
          eq(apiTokens.workspaceId, workspaceId),
          page.afterId === undefined
            ? undefined
            : sql`(${apiTokens.createdAt}, ${apiTokens.id}) < (select t.created_at, t.id from api_tokens t where t.id = ${page.afterId})`,
        ),
      )
      .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => row.id);
  }

  async revoke(workspaceId: string, tokenId: string) {
    const [row] = await this.db
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
      .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, tokenId)))
      .returning(tokenColumns);
    if (!row) throw new NotFoundError('API token', { field: 'tokenId' });
    await this.cache.publish({ kind: 'token', tokenId: row.id });
    return row;
  }

  /**
   * The principal a presented bearer token stands for, or null when unknown, revoked, expired, or
   * minted by a person who has since been deactivated (their tokens stop with them).
   * A token made by a person lives on that person's membership: it stops authorising when they
   * leave the workspace, and never acts above their current role (a demotion caps it at once).
   * Served from the cache until the token's own expiry at the latest.
   */
  async authenticate(token: string): Promise<TokenPrincipal | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const now = new Date();
    const key = hashToken(token);
    const cached = this.cache.get(this.cache.tokens, key);
    if (cached) {
      await this.#touch(cached.tokenId, now);
      return { ...cached };
    }
    const principal = await this.cache.shared('token', key, () => this.#lookUp(key, now));
    return principal && { ...principal };
  }

  /** The database's answer for a token hash, kept in the cache when positive. */
  async #lookUp(key: string, now: Date): Promise<TokenPrincipal | null> {
    const ticket = this.cache.ticket();
    const [row] = await this.db
      .select({
        id: apiTokens.id,
        workspaceId: apiTokens.workspaceId,
        role: apiTokens.role,
        name: apiTokens.name,
        prefix: apiTokens.prefix,
        createdBy: apiTokens.createdBy,
        expiresAt: apiTokens.expiresAt,
        creatorRole: workspaceMembers.role,
      })
      .from(apiTokens)
      .leftJoin(users, eq(users.id, apiTokens.createdBy))
      .leftJoin(workspaceMembers, and(eq(workspaceMembers.workspaceId, apiTokens.workspaceId), eq(workspaceMembers.userId, apiTokens.createdBy)))
      .where(
        and(
          eq(apiTokens.tokenHash, key),
          isNull(apiTokens.revokedAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
          isNull(users.deactivatedAt),
        ),
      );
    if (!row) return null;
    if (row.createdBy !== null && row.creatorRole === null) return null;
    await this.#touch(row.id, now);
    const role = row.creatorRole === null ? row.role : lowerRole(row.role, row.creatorRole);
    const principal: TokenPrincipal = { kind: 'token', tokenId: row.id, workspaceId: row.workspaceId, role, name: row.name, prefix: row.prefix, createdBy: row.createdBy };
    this.cache.keep(this.cache.tokens, key, principal, ticket, row.expiresAt);
    return principal;
  }

  async #touch(tokenId: string, now: Date): Promise<void> {
    const last = this.#lastWrite.get(tokenId);
    if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    this.#lastWrite.set(tokenId, now.getTime());
    // The condition keeps several instances from all writing within the same minute.
    await this.db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(apiTokens.id, tokenId),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - LAST_USED_RESOLUTION_MS))),
        ),
      );
  }
}
