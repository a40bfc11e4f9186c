// Per-connection grants (MISSION F6): `use` runs procedures through a connection, `manage` edits it.
import type { StudioDatabase } from '@studio/db';
import { connectionAccess, connections, users, workspaceMembers, type ConnectionAccessLevel } from '@studio/db/schema';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { expectRow, InvalidInputError, NotFoundError } from './errors';
import { keysetPage } from './pagination';

export class AccessService {
  constructor(private readonly db: StudioDatabase) {}

  async #assertConnection(workspaceId: string, connectionId: string) {
    const [row] = await this.db
      .select({ id: connections.id, name: connections.name })
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    return row;
  }

  /** Ordered by username (unique case-insensitively); the cursor is the last username of the previous page. */
  async list(workspaceId: string, connectionId: string, page: { afterUsername?: string | undefined; limit: number }) {
    await this.#assertConnection(workspaceId, connectionId);
    const rows = await this.db
      .select({
        userId: connectionAccess.userId,
        username: users.username,
        displayName: users.displayName,
        level: connectionAccess.level,
        assignedAt: connectionAccess.assignedAt,
        assignedBy: connectionAccess.assignedBy,
      })
      .from(connectionAccess)
      .innerJoin(users, eq(users.id, connectionAccess.userId))
      .where(
        and(
          eq(connectionAccess.connectionId, connectionId),
          page.afterUsername === undefined ? undefined : gt(sql`lower(${users.username})`, page.afterUsername.toLowerCase()),
        ),
      )
      .orderBy(asc(sql`lower(${users.username})`))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => row.username);
  }

  /** Grants or changes a grant. Only members of the workspace can be granted access. */
  async grant(workspaceId: string, input: { connectionId: string; userId: string; level: ConnectionAccessLevel }, assignedBy: string | null) {
    await this.#assertConnection(workspaceId, input.connectionId);
    const [member] = await this.db
      .select({ role: workspaceMembers.role })
      .from(workspaceMembers)
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, input.userId)));
    if (!member) throw new InvalidInputError('userId', 'userId must be a member of this workspace');
    const [row] = await this.db
      .insert(connectionAccess)
      .values({ connectionId: input.connectionId, userId: input.userId, level: input.level, assignedBy })
      .onConflictDoUpdate({
        target: [connectionAccess.connectionId, connectionAccess.userId],
        set: { level: input.level, assignedBy, assignedAt: new Date() },
      })
      .returning({ connectionId: connectionAccess.connectionId, userId: connectionAccess.userId, level: connectionAccess.level, assignedAt: connectionAccess.assignedAt });
    return expectRow(row, 'grant upsert');
  }

  async revoke(workspaceId: string, input: { connectionId: string; userId: string }) {
    await this.#assertConnection(workspaceId, input.connectionId);
    const [row] = await this.db
      .delete(connectionAccess)
      .where(and(eq(connectionAccess.connectionId, input.connectionId), eq(connectionAccess.userId, input.userId)))
      .returning({ level: connectionAccess.level });
    if (!row) throw new NotFoundError('Grant', { field: 'userId' });
    return { connectionId: input.connectionId, userId: input.userId, previousLevel: row.level };
  }
}
