// What each environment runs of a procedure (procedure_deployments, migration 0009): recorded by
// publish in the transaction of its audit row, read by the editor's "published" list. Only the
// SHA-256 of the deployed text is kept; the text is the procedure's own.
import { createHash } from 'node:crypto';
import type { StudioDatabase } from '@studio/db';
import { environments, procedureDeployments, users } from '@studio/db/schema';
import { and, asc, desc, eq } from 'drizzle-orm';

/** Lower-case hex SHA-256 of the text's UTF-8 bytes: how a deployment and the draft are compared. */
export function sqlHashOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface EnvironmentDeployment {
  environmentId: string;
  environmentName: string;
  isDefault: boolean;
  /** The environment's connection (null when unconfigured). */
  connectionId: string | null;
  /** The last successful publish here, or null when never published to this environment. */
  deployment: { sqlHash: string; deployedAt: Date; deployedBy: { id: string; username: string } | null } | null;
}

export class ProcedureDeployments {
  constructor(private readonly db: StudioDatabase) {}

  /** A successful publish of `sqlText` to the environment: replaces what was recorded there. */
  async record(input: { procedureId: string; environmentId: string; sqlText: string; deployedBy: string | null }): Promise<void> {
    const row = { sqlHash: sqlHashOf(input.sqlText), deployedBy: input.deployedBy, deployedAt: new Date() };
    await this.db
      .insert(procedureDeployments)
      .values({ procedureId: input.procedureId, environmentId: input.environmentId, ...row })
      .onConflictDoUpdate({ target: [procedureDeployments.procedureId, procedureDeployments.environmentId], set: row });
  }

  /** Every environment of the workspace (default first, then by name) with what it runs of the procedure. */
  async list(workspaceId: string, procedureId: string): Promise<EnvironmentDeployment[]> {
    const rows = await this.db
      .select({
        environmentId: environments.id,
        environmentName: environments.name,
        isDefault: environments.isDefault,
        connectionId: environments.connectionId,
        sqlHash: procedureDeployments.sqlHash,
        deployedAt: procedureDeployments.deployedAt,
        deployedById: users.id,
        deployedByUsername: users.username,
      })
      .from(environments)
      .leftJoin(procedureDeployments, and(eq(procedureDeployments.environmentId, environments.id), eq(procedureDeployments.procedureId, procedureId)))
      .leftJoin(users, eq(users.id, procedureDeployments.deployedBy))
      .where(eq(environments.workspaceId, workspaceId))
      .orderBy(desc(environments.isDefault), asc(environments.name));
    return rows.map((row) => ({
      environmentId: row.environmentId,
      environmentName: row.environmentName,
      isDefault: row.isDefault,
      connectionId: row.connectionId,
      deployment:
        row.sqlHash === null || row.deployedAt === null
          ? null
          : {
              sqlHash: row.sqlHash,
              deployedAt: row.deployedAt,
              deployedBy: row.deployedById === null || row.deployedByUsername === null ? null : { id: row.deployedById, username: row.deployedByUsername },
            },
    }));
  }
}
