// Workspaces and memberships. Role rules live in policy.ts; this module reads and writes rows.
import type { StudioDatabase } from '@studio/db';
import { apiTokens, connectionAccess, connections, environments, roles, users, workspaceMembers, workspaces, type ConnectionStatus, type ConnectionType, type WorkspaceRole } from '@studio/db/schema';
import { and, asc, count, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { AuthCache } from './auth-cache';
import { ConflictError, expectRow, InvalidInputError, NotFoundError } from './errors';
import { keysetPage } from './pagination';

export const workspaceColumns = {
  id: workspaces.id,
  name: workspaces.name,
  slug: workspaces.slug,
  description: workspaces.description,
  memberCount: workspaces.memberCount,
  createdAt: workspaces.createdAt,
  updatedAt: workspaces.updatedAt,
};

export interface WorkspaceRef {
  workspaceId?: string | undefined;
  workspaceSlug?: string | undefined;
}

/** The cache key of a workspace as named by a call, for one person ('' for a token's lookup). */
function cacheKeyOf(ref: WorkspaceRef, userId: string): string {
  return ref.workspaceId ? `${userId}/id/${ref.workspaceId}` : `${userId}/slug/${ref.workspaceSlug ?? ''}`;
}

export interface WorkspaceOverview {
  connections: { id: string; name: string; type: ConnectionType; status: ConnectionStatus; lastTestedAt: Date | null; poolSize: number | null }[];
  environments: { id: string; name: string; isDefault: boolean; configured: boolean; status: ConnectionStatus | null }[];
}

export interface WorkspaceShell {
  name: string;
  /** The person's system role, null once deactivated. */
  systemRole: string | null;
  /** Null when the list was not asked for (its rate-limit budget was spent). */
  workspaces: { slug: string; name: string; role: WorkspaceRole }[] | null;
}

export class WorkspaceService {
  constructor(
    private readonly db: StudioDatabase,
    private readonly cache: AuthCache = new AuthCache(undefined),
  ) {}

  /** Served from the cache (workspaces are neither renamed nor deleted by the app). */
  async find(ref: WorkspaceRef): Promise<{ id: string; slug: string; name: string } | undefined> {
    const key = cacheKeyOf(ref, '');
    const cached = this.cache.get(this.cache.workspaces, key);
    if (cached) return { id: cached.id, slug: cached.slug, name: cached.name };
    const found = await this.cache.shared('workspace', key, async () => {
      const ticket = this.cache.ticket();
      const where = ref.workspaceId ? eq(workspaces.id, ref.workspaceId) : eq(workspaces.slug, ref.workspaceSlug ?? '');
      const [row] = await this.db.select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name }).from(workspaces).where(where);
      if (row) this.cache.keep(this.cache.workspaces, key, { userId: '', ...row, role: undefined }, ticket);
      return row;
    });
    return found && { ...found };
  }

  /**
   * The workspace and the person's role in it, in one statement: every workspace call of a signed-in
   * person starts here. `role` is undefined when they are not a member. A membership is served from
   * the cache; a changed role or a removal is published by `changeMember`.
   */
  async findWithRole(ref: WorkspaceRef, userId: string): Promise<{ id: string; slug: string; name: string; role: WorkspaceRole | undefined } | undefined> {
    const key = cacheKeyOf(ref, userId);
    const cached = this.cache.get(this.cache.workspaces, key);
    if (cached) return { id: cached.id, slug: cached.slug, name: cached.name, role: cached.role };
    const ticket = this.cache.ticket();
    const where = ref.workspaceId ? eq(workspaces.id, ref.workspaceId) : eq(workspaces.slug, ref.workspaceSlug ?? '');
    const [row] = await this.db
      .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name, role: workspaceMembers.role })
      .from(workspaces)
      .leftJoin(workspaceMembers, and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, userId)))
      .where(where);
    if (!row) return undefined;
    const found = { id: row.id, slug: row.slug, name: row.name, role: row.role ?? undefined };
    if (found.role) this.cache.keep(this.cache.workspaces, key, { userId, ...found }, ticket);
    return found;
  }

  async membership(workspaceId: string, userId: string): Promise<WorkspaceRole | undefined> {
    const [row] = await this.db
      .select({ role: workspaceMembers.role })
      .from(workspaceMembers)
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
    return row?.role;
  }

  async get(workspaceId: string) {
    const [row] = await this.db.select(workspaceColumns).from(workspaces).where(eq(workspaces.id, workspaceId));
    if (!row) throw new NotFoundError('Workspace');
    return row;
  }

  /** Ordered by slug (unique); the cursor is the slug of the last workspace of the previous page. */
  /**
   * What every page of the web UI shows around itself, in one statement: the workspace, the
   * person's active system role and (with `listLimit`) the workspaces they belong to, by slug.
   */
  async shellFor(userId: string, workspaceId: string, listLimit: number | null): Promise<WorkspaceShell> {
    const mine =
      listLimit === null
        ? sql`null::json`
        : sql`(select coalesce(json_agg(json_build_object('slug', m.slug, 'name', m.name, 'role', m.role) order by m.slug), '[]'::json) from (
            select ${workspaces.slug} as slug, ${workspaces.name} as name, ${workspaceMembers.role} as role
            from ${workspaceMembers} join ${workspaces} on ${workspaces.id} = ${workspaceMembers.workspaceId}
            where ${workspaceMembers.userId} = ${userId} order by ${workspaces.slug} limit ${listLimit}) m)`;
    const result = await this.db.execute<{ name: string | null; system_role: string | null; workspaces: WorkspaceShell['workspaces'] }>(sql`
      select
        (select ${workspaces.name} from ${workspaces} where ${workspaces.id} = ${workspaceId}) as name,
        (select ${roles.name} from ${users} join ${roles} on ${roles.id} = ${users.roleId} where ${users.id} = ${userId} and ${users.deactivatedAt} is null) as system_role,
        ${mine} as workspaces`);
    // node-postgres answers { rows }, PGlite the same through drizzle; a plain array is accepted too.
    const raw = result as unknown as { rows: unknown[] } | unknown[];
    const rows = (Array.isArray(raw) ? raw : raw.rows) as { name: string | null; system_role: string | null; workspaces: WorkspaceShell['workspaces'] }[];
    const row = rows[0];
    if (!row || row.name === null) throw new NotFoundError('Workspace', { field: 'workspaceId' });
    return { name: row.name, systemRole: row.system_role, workspaces: row.workspaces };
  }

  /**
   * The overview page in one statement: the workspace's connections (no settings, no credentials)
   * and its environments as every member may see them, each by name, `limit` of each.
   */
  async overviewOf(workspaceId: string, limit: number): Promise<WorkspaceOverview> {
    const result = await this.db.execute(sql`
      select
        (select coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'type', c.type, 'status', c.status, 'lastTestedAt', c.last_tested_at, 'poolSize', c.pool_size) order by c.name), '[]'::json) from (
          select ${connections.id} as id, ${connections.name} as name, ${connections.type} as type, ${connections.status} as status,
                 ${connections.lastTestedAt} as last_tested_at, (${connections.options}->>'poolSize')::int as pool_size
          from ${connections} where ${connections.workspaceId} = ${workspaceId} order by ${connections.name} limit ${limit}) c) as connections,
        (select coalesce(json_agg(json_build_object('id', e.id, 'name', e.name, 'isDefault', e.is_default, 'configured', e.connection_id is not null, 'status', e.status) order by e.name), '[]'::json) from (
          select ${environments.id} as id, ${environments.name} as name, ${environments.isDefault} as is_default, ${environments.connectionId} as connection_id, ${connections.status} as status
          from ${environments} left join ${connections} on ${connections.id} = ${environments.connectionId}
          where ${environments.workspaceId} = ${workspaceId} order by ${environments.name} limit ${limit}) e) as environments`);
    const raw = result as unknown as { rows: unknown[] } | unknown[];
    const [row] = (Array.isArray(raw) ? raw : raw.rows) as { connections: (Omit<WorkspaceOverview['connections'][number], 'lastTestedAt'> & { lastTestedAt: string | null })[]; environments: WorkspaceOverview['environments'] }[];
    if (!row) return { connections: [], environments: [] };
    return {
      connections: row.connections.map((c) => ({ ...c, lastTestedAt: c.lastTestedAt === null ? null : new Date(c.lastTestedAt) })),
      environments: row.environments,
    };
  }

  async listForUser(userId: string, page: { afterSlug?: string | undefined; limit: number }) {
    const rows = await this.db
      .select({ ...workspaceColumns, role: workspaceMembers.role })
      .from(workspaceMembers)
      .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
      .where(and(eq(workspaceMembers.userId, userId), page.afterSlug === undefined ? undefined : gt(workspaces.slug, page.afterSlug)))
      .orderBy(asc(workspaces.slug))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => row.slug);
  }

  /** Creates the workspace and makes `ownerId` its Owner, atomically. */
  async create(input: { name: string; slug: string; description?: string | null | undefined; ownerId: string }) {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(workspaces)
        .values({ name: input.name, slug: input.slug, description: input.description ?? null, createdBy: input.ownerId })
        .returning({ id: workspaces.id });
      const created = expectRow(row, 'workspace insert');
      await tx.insert(workspaceMembers).values({ workspaceId: created.id, userId: input.ownerId, role: 'Owner' });
      const [full] = await tx.select(workspaceColumns).from(workspaces).where(eq(workspaces.id, created.id));
      return { ...expectRow(full, 'workspace select'), role: 'Owner' as const };
    });
  }

  async listMembers(workspaceId: string, page: { afterUsername?: string | undefined; limit: number }) {
    const rows = await this.db
      .select({
        userId: users.id,
        username: users.username,
        displayName: users.displayName,
        role: workspaceMembers.role,
        joinedAt: workspaceMembers.createdAt,
      })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(
        and(
          eq(workspaceMembers.workspaceId, workspaceId),
          page.afterUsername === undefined ? undefined : gt(sql`lower(${users.username})`, page.afterUsername.toLowerCase()),
        ),
      )
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => row.username);
  }

  async findUser(ref: { userId?: string | undefined; username?: string | undefined }) {
    const where = ref.userId ? eq(users.id, ref.userId) : eq(sql`lower(${users.username})`, (ref.username ?? '').toLowerCase());
    const [row] = await this.db.select({ id: users.id, username: users.username }).from(users).where(where);
    if (!row) throw new InvalidInputError(ref.userId ? 'userId' : 'username', 'No such user');
    return row;
  }

  async addMember(workspaceId: string, userId: string, role: WorkspaceRole) {
    const [row] = await this.db
      .insert(workspaceMembers)
      .values({ workspaceId, userId, role })
      .returning({ userId: workspaceMembers.userId, role: workspaceMembers.role });
    return expectRow(row, 'membership insert');
  }

  /**
   * Changes a role or removes a member, refusing to leave the workspace without an Owner.
   * The owners are counted under a row lock on the workspace so two demotions cannot race past it.
   * Removal takes the member's access with them, in the same transaction: their connection grants
   * (re-adding them must not silently restore `manage`) and the API tokens they made here.
   */
  async changeMember(workspaceId: string, userId: string, change: { role: WorkspaceRole } | { remove: true }) {
    const changed = await this.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from ${workspaces} where ${workspaces.id} = ${workspaceId} for update`);
      const [member] = await tx
        .select({ role: workspaceMembers.role })
        .from(workspaceMembers)
        .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
      if (!member) throw new NotFoundError('Member', { field: 'userId' });
      const losesOwner = member.role === 'Owner' && ('remove' in change || change.role !== 'Owner');
      if (losesOwner) {
        const [owners] = await tx
          .select({ n: count() })
          .from(workspaceMembers)
          .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'Owner')));
        if ((owners?.n ?? 0) <= 1) {
          throw new ConflictError('A workspace must keep at least one Owner', { field: 'userId', reason: 'last_owner' });
        }
      }
      const match = and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId));
      if ('remove' in change) {
        await tx.delete(workspaceMembers).where(match);
        const revokedGrants = await tx
          .delete(connectionAccess)
          .where(
            and(
              eq(connectionAccess.userId, userId),
              inArray(connectionAccess.connectionId, tx.select({ id: connections.id }).from(connections).where(eq(connections.workspaceId, workspaceId))),
            ),
          )
          .returning({ connectionId: connectionAccess.connectionId, level: connectionAccess.level });
        const revokedTokens = await tx
          .update(apiTokens)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.createdBy, userId), isNull(apiTokens.revokedAt)))
          .returning({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix });
        return { userId, previousRole: member.role, role: null, revokedGrants, revokedTokens };
      }
      await tx.update(workspaceMembers).set({ role: change.role }).where(match);
      return { userId, previousRole: member.role, role: change.role, revokedGrants: [], revokedTokens: [] };
    });
    // Their membership and the tokens they made here (capped by it, or revoked with it).
    await this.cache.publish({ kind: 'member', workspaceId, userId });
    return changed;
  }
}

