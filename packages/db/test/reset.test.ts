import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResetRefusedError } from '../src/errors';
import { resetDatabase } from '../src/reset';
import { connections, users, workspaces } from '../src/schema/index';
import { seed } from '../src/seed';
import { createConnection, createWorkspace } from './factories';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

describe.each(testTargets)('resetDatabase on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
    await seed(testDatabase.database.db);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it('refuses when NODE_ENV is production and touches nothing', async () => {
    const { db } = testDatabase.database;
    const workspace = await createWorkspace(db);
    await createConnection(db, workspace.id);
    await expect(resetDatabase(testDatabase.database, { nodeEnv: 'production' })).rejects.toBeInstanceOf(ResetRefusedError);
    expect((await db.select({ n: count() }).from(connections))[0]?.n).toBe(1);
  });

  it('drops everything, migrates and seeds from scratch', async () => {
    const { db } = testDatabase.database;
    const result = await resetDatabase(testDatabase.database, { nodeEnv: 'development' });
    expect(result.migrations.applied.length).toBeGreaterThanOrEqual(2);
    expect(result.seed.created.users).toEqual(['admin', 'user']);
    expect((await db.select({ n: count() }).from(connections))[0]?.n).toBe(0);
    expect((await db.select({ n: count() }).from(users))[0]?.n).toBe(2);
    expect(await db.select({ slug: workspaces.slug, members: workspaces.memberCount }).from(workspaces)).toEqual([
      { slug: 'twsbp', members: 2 },
    ]);
  });
});
