import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionAccess, connections, environments, projects } from '../src/schema/index';
import { createConnection, createEnvironment, createProject, createUser, createWorkspace } from './factories';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

describe.each(testTargets)('deleting a connection on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it("sets environments' and projects' connection_id to NULL and keeps the rows (ADR-005)", async () => {
    const { db } = testDatabase.database;
    const workspace = await createWorkspace(db);
    const doomed = await createConnection(db, workspace.id);
    const kept = await createConnection(db, workspace.id);
    const environment = await createEnvironment(db, workspace.id, doomed.id);
    const project = await createProject(db, workspace.id, doomed.id);
    const bystander = await createEnvironment(db, workspace.id, kept.id);

    await db.delete(connections).where(eq(connections.id, doomed.id));

    const [environmentAfter] = await db.select().from(environments).where(eq(environments.id, environment.id));
    const [projectAfter] = await db.select().from(projects).where(eq(projects.id, project.id));
    const [bystanderAfter] = await db.select().from(environments).where(eq(environments.id, bystander.id));
    expect(environmentAfter).toMatchObject({ id: environment.id, name: environment.name, connectionId: null });
    expect(projectAfter).toMatchObject({ id: project.id, name: project.name, connectionId: null });
    expect(bystanderAfter?.connectionId).toBe(kept.id);
  });

  it('removes the access grants of a deleted connection', async () => {
    const { db } = testDatabase.database;
    const workspace = await createWorkspace(db);
    const user = await createUser(db);
    const connection = await createConnection(db, workspace.id);
    await db.insert(connectionAccess).values({ connectionId: connection.id, userId: user.id, level: 'manage' });

    await db.delete(connections).where(eq(connections.id, connection.id));

    expect(await db.select().from(connectionAccess).where(eq(connectionAccess.userId, user.id))).toEqual([]);
  });
});
