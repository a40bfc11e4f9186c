import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiTokens,
  auditLog,
  connections,
  environments,
  projects,
  sessions,
  storedProcedures,
  users,
  workspaceMembers,
  workspaces,
} from '../src/schema/index';
import { addMember, createConnection, createEnvironment, createProject, createUser, createWorkspace, unique } from './factories';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

describe.each(testTargets)('delete rules on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it('deleting a workspace removes what it owns and keeps its audit history', async () => {
    const { db } = testDatabase.database;
    const user = await createUser(db);
    const workspace = await createWorkspace(db, { createdBy: user.id });
    await addMember(db, workspace.id, user.id);
    const connection = await createConnection(db, workspace.id);
    await createEnvironment(db, workspace.id, connection.id);
    await createProject(db, workspace.id, connection.id);
    await db.insert(storedProcedures).values({ workspaceId: workspace.id, name: 'usp_a', createdBy: user.id });
    await db.insert(apiTokens).values({ workspaceId: workspace.id, name: 't', tokenHash: unique('h'), prefix: 'st_' });
    await db
      .insert(auditLog)
      .values({ workspaceId: workspace.id, actorUserId: user.id, action: 'workspace.delete', outcome: 'success' });

    await db.delete(workspaces).where(eq(workspaces.id, workspace.id));

    for (const table of [workspaceMembers, connections, environments, projects, storedProcedures, apiTokens]) {
      expect(await db.select().from(table).where(eq(table.workspaceId, workspace.id))).toEqual([]);
    }
    const history = await db.select().from(auditLog).where(eq(auditLog.workspaceId, workspace.id));
    expect(history).toHaveLength(1);
  });

  it('deleting a user ends their sessions and memberships, and keeps audit rows with the actor NULL', async () => {
    const { db } = testDatabase.database;
    const owner = await createUser(db);
    const leaver = await createUser(db);
    const workspace = await createWorkspace(db, { createdBy: leaver.id });
    await addMember(db, workspace.id, owner.id);
    await addMember(db, workspace.id, leaver.id);
    await db.insert(sessions).values({ id: unique('session'), userId: leaver.id, expiresAt: new Date(Date.now() + 60_000) });
    const [entry] = await db
      .insert(auditLog)
      .values({ actorUserId: leaver.id, actorUsername: leaver.username, action: 'login', outcome: 'success' })
      .returning();
    expect((await db.select().from(workspaces).where(eq(workspaces.id, workspace.id)))[0]?.memberCount).toBe(2);

    await db.delete(users).where(eq(users.id, leaver.id));

    expect(await db.select().from(sessions).where(eq(sessions.userId, leaver.id))).toEqual([]);
    const [after] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.id));
    expect(after).toMatchObject({ createdBy: null, memberCount: 1 });
    const [auditAfter] = await db.select().from(auditLog).where(eq(auditLog.id, entry!.id));
    expect(auditAfter).toMatchObject({ actorUserId: null, actorUsername: leaver.username });
  });
});
