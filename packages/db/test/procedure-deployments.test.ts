// Migration 0009: one deployment row per (procedure, environment), gone with either, kept with its
// author NULL when the user is deleted; reverting 0009 removes only that table and leaves
// stored_procedures exactly as seed 003 defines it.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator } from '../src/migrator';
import { environments, procedureDeployments, storedProcedures, users } from '../src/schema/index';
import { createConnection, createEnvironment, createUser, createWorkspace } from './factories';
import { columnsOf } from './catalogue';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe.each(testTargets)('procedure_deployments on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  async function fixture() {
    const { db } = testDatabase.database;
    const user = await createUser(db);
    const workspace = await createWorkspace(db, { createdBy: user.id });
    const connection = await createConnection(db, workspace.id);
    const production = await createEnvironment(db, workspace.id, connection.id);
    const staging = await createEnvironment(db, workspace.id, connection.id);
    const [procedure] = await db.insert(storedProcedures).values({ workspaceId: workspace.id, name: 'dbo.usp_deployed', createdBy: user.id }).returning({ id: storedProcedures.id });
    return { db, user, production, staging, procedureId: procedure!.id };
  }

  it('keeps one row per procedure and environment', async () => {
    const { db, user, production, staging, procedureId } = await fixture();
    await db.insert(procedureDeployments).values([
      { procedureId, environmentId: production.id, sqlHash: HASH_A, deployedBy: user.id },
      { procedureId, environmentId: staging.id, sqlHash: HASH_A, deployedBy: user.id },
    ]);
    await expect(db.insert(procedureDeployments).values({ procedureId, environmentId: production.id, sqlHash: HASH_B, deployedBy: user.id })).rejects.toThrow();
    await db
      .insert(procedureDeployments)
      .values({ procedureId, environmentId: production.id, sqlHash: HASH_B, deployedBy: user.id })
      .onConflictDoUpdate({ target: [procedureDeployments.procedureId, procedureDeployments.environmentId], set: { sqlHash: HASH_B } });
    const rows = await db.select().from(procedureDeployments).where(eq(procedureDeployments.procedureId, procedureId));
    expect(rows.map((row) => [row.environmentId, row.sqlHash]).sort()).toEqual([[production.id, HASH_B], [staging.id, HASH_A]].sort());
    expect(rows.every((row) => row.deployedAt instanceof Date)).toBe(true);
  });

  it('goes with its environment or procedure; a deleted user leaves the row with deployed_by NULL', async () => {
    const { db, user, production, staging, procedureId } = await fixture();
    await db.insert(procedureDeployments).values([
      { procedureId, environmentId: production.id, sqlHash: HASH_A, deployedBy: user.id },
      { procedureId, environmentId: staging.id, sqlHash: HASH_A, deployedBy: user.id },
    ]);
    await db.delete(environments).where(eq(environments.id, staging.id));
    expect(await db.select().from(procedureDeployments).where(eq(procedureDeployments.environmentId, staging.id))).toEqual([]);

    await db.update(storedProcedures).set({ createdBy: null }).where(eq(storedProcedures.id, procedureId));
    await db.delete(users).where(eq(users.id, user.id));
    const [kept] = await db.select().from(procedureDeployments).where(and(eq(procedureDeployments.procedureId, procedureId), eq(procedureDeployments.environmentId, production.id)));
    expect(kept).toMatchObject({ sqlHash: HASH_A, deployedBy: null });

    await db.delete(storedProcedures).where(eq(storedProcedures.id, procedureId));
    expect(await db.select().from(procedureDeployments).where(eq(procedureDeployments.procedureId, procedureId))).toEqual([]);
  });

  it('reverting 0009 drops only procedure_deployments; stored_procedures is unchanged', async () => {
    const storedBefore = await columnsOf(testDatabase, 'stored_procedures');
    expect(storedBefore.map((c) => c.name)).toEqual(['id', 'workspace_id', 'name', 'status', 'sql_draft', 'sql_published', 'published_at', 'created_by', 'created_at', 'updated_at']);
    const migrator = new Migrator(testDatabase.database);
    // Later migrations come off first; 0009 is the last one reverted here.
    const reverted: string[] = [];
    while (reverted.at(-1) !== '0009_procedure_deployments') {
      const next = await migrator.revert();
      if (!next) break;
      reverted.push(next.name);
    }
    expect(reverted.at(-1)).toBe('0009_procedure_deployments');
    expect(await columnsOf(testDatabase, 'procedure_deployments')).toEqual([]);
    expect(await columnsOf(testDatabase, 'stored_procedures')).toEqual(storedBefore);
    const again = await migrator.migrate();
    expect(again.applied.map((entry) => entry.name)).toEqual([...reverted].reverse());
    expect(again.applied[0]?.name).toBe('0009_procedure_deployments');
    expect((await columnsOf(testDatabase, 'procedure_deployments')).map((c) => [c.name, c.nullable])).toEqual([
      ['procedure_id', 'NO'],
      ['environment_id', 'NO'],
      ['sql_hash', 'NO'],
      ['deployed_by', 'YES'],
      ['deployed_at', 'NO'],
    ]);
  });
});
