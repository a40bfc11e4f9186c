// Import projects (F13, seed 004): a named import configuration on one of the workspace's
// connections. The connection is optional here (it becomes NULL when the connection is deleted);
// an import refuses to start without one. Explicit columns: a project never carries credentials.
import type { StudioDatabase } from '@studio/db';
import { connections, projects } from '@studio/db/schema';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { expectRow, ImportRefusal } from './errors';
import { readProjectConfig, type ProjectConfig, type ProjectConfigInput } from './imports/project-config';
import { keysetPage } from './pagination';

export interface ProjectInput {
  name: string;
  description?: string | null | undefined;
  connectionId: string | null;
  config: ProjectConfig;
}

export type ProjectPatch = Partial<ProjectInput>;

const readColumns = {
  id: projects.id,
  workspaceId: projects.workspaceId,
  name: projects.name,
  description: projects.description,
  connectionId: projects.connectionId,
  connectionName: connections.name,
  connectionType: connections.type,
  config: projects.config,
  createdAt: projects.createdAt,
  updatedAt: projects.updatedAt,
};

type ProjectRow = Pick<typeof projects.$inferSelect, 'id' | 'workspaceId' | 'name' | 'description' | 'connectionId' | 'config' | 'createdAt' | 'updatedAt'> & {
  /** Null when the project has no connection (left join). */
  connectionName: string | null;
  connectionType: (typeof connections.$inferSelect)['type'] | null;
};

export type ProjectView = Omit<ProjectRow, 'config'> & { config: ProjectConfig };

function present(row: ProjectRow): ProjectView {
  return { ...row, config: readProjectConfig(row.config) };
}

export class ProjectService {
  constructor(private readonly db: StudioDatabase) {}

  #select(db: StudioDatabase = this.db) {
    return db
      .select(readColumns)
      .from(projects)
      .leftJoin(connections, and(eq(connections.id, projects.connectionId), eq(connections.workspaceId, projects.workspaceId)));
  }

  async list(workspaceId: string, page: { afterName?: string | undefined; limit: number }) {
    const rows = await this.#select()
      .where(and(eq(projects.workspaceId, workspaceId), page.afterName === undefined ? undefined : gt(projects.name, page.afterName)))
      .orderBy(asc(projects.name))
      .limit(page.limit + 1);
    const found = keysetPage(rows, page.limit, (row) => row.name);
    return { ...found, items: found.items.map(present) };
  }

  async get(workspaceId: string, projectId: string): Promise<ProjectView> {
    const [row] = await this.#select().where(and(eq(projects.workspaceId, workspaceId), eq(projects.id, projectId)));
    if (!row) throw projectNotFound();
    return present(row);
  }

  /** The project of this name, or undefined. */
  async byName(workspaceId: string, name: string): Promise<ProjectView | undefined> {
    const [row] = await this.#select().where(and(eq(projects.workspaceId, workspaceId), eq(projects.name, name)));
    return row ? present(row) : undefined;
  }

  /** The project's connection id (null: it has none), or project_not_found. */
  async connectionOf(workspaceId: string, projectId: string): Promise<string | null> {
    const [row] = await this.db.select({ connectionId: projects.connectionId }).from(projects).where(and(eq(projects.workspaceId, workspaceId), eq(projects.id, projectId)));
    if (!row) throw projectNotFound();
    return row.connectionId;
  }

  async create(workspaceId: string, input: ProjectInput, createdBy: string | null): Promise<ProjectView> {
    const [row] = await this.db
      .insert(projects)
      .values({ workspaceId, name: input.name, description: input.description ?? null, connectionId: input.connectionId, config: input.config as ProjectConfigInput as Record<string, unknown>, createdBy })
      .returning({ id: projects.id });
    return this.get(workspaceId, expectRow(row, 'project insert').id);
  }

  async update(workspaceId: string, projectId: string, patch: ProjectPatch): Promise<ProjectView> {
    const [row] = await this.db
      .update(projects)
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.connectionId !== undefined && { connectionId: patch.connectionId }),
        ...(patch.config !== undefined && { config: patch.config as Record<string, unknown> }),
        updatedAt: sql`now()`,
      })
      .where(and(eq(projects.workspaceId, workspaceId), eq(projects.id, projectId)))
      .returning({ id: projects.id });
    if (!row) throw projectNotFound();
    return this.get(workspaceId, row.id);
  }

  async delete(workspaceId: string, projectId: string): Promise<{ id: string; name: string }> {
    const [row] = await this.db.delete(projects).where(and(eq(projects.workspaceId, workspaceId), eq(projects.id, projectId))).returning({ id: projects.id, name: projects.name });
    if (!row) throw projectNotFound();
    return row;
  }
}

export function projectNotFound(): ImportRefusal {
  return new ImportRefusal('project_not_found', 'Project was not found', { field: 'projectId' });
}
