// Migration 0010: import runs and their rejects. A run outlives its project and its author; a
// workspace takes its runs along; only one run per target table may be running at a time; reverting
// 0010 leaves projects exactly as it was.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator } from '../src/migrator';
import { importRejects, importRuns, projects, users, workspaces } from '../src/schema/index';
import { createConnection, createUser, createWorkspace } from './factories';
import { columnsOf } from './catalogue';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

describe.each(testTargets)('import_runs on $name', (target) => {
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
    const [project] = await db.insert(projects).values({ workspaceId: workspace.id, name: 'orders', connectionId: connection.id }).returning({ id: projects.id });
    const run = (overrides: Partial<typeof importRuns.$inferInsert> = {}) => ({
      workspaceId: workspace.id,
      projectId: project!.id,
      projectName: 'orders',
      connectionId: connection.id,
      targetTable: 'public.orders',
      fileName: 'orders.csv',
      mode: 'insert',
      errorPolicy: 'all-or-nothing',
      maxRejects: 1000,
      startedBy: user.id,
      startedByName: user.username,
      instanceId: 'test-instance',
      ...overrides,
    });
    return { db, user, workspace, projectId: project!.id, run };
  }

  it('keeps a run and its rejects when the project and the author are deleted; the workspace takes them along', async () => {
    const { db, user, workspace, projectId, run } = await fixture();
    const [created] = await db.insert(importRuns).values(run({ outcome: 'failed' })).returning();
    expect(created).toMatchObject({ outcome: 'failed', bytesRead: 0, rowsWritten: 0, rowsRejected: 0, sha256: null, finishedAt: null });
    await db.insert(importRejects).values({ runId: created!.id, rowNumber: 3, line: 4, columnName: 'qty', valueExcerpt: 'x', reason: 'not an integer', fields: ['1', null, 'x'] });

    await db.delete(projects).where(eq(projects.id, projectId));
    await db.update(workspaces).set({ createdBy: null }).where(eq(workspaces.id, workspace.id));
    await db.delete(users).where(eq(users.id, user.id));
    const [kept] = await db.select().from(importRuns).where(eq(importRuns.id, created!.id));
    expect(kept).toMatchObject({ projectId: null, projectName: 'orders', startedBy: null, startedByName: user.username });
    expect(await db.select().from(importRejects).where(eq(importRejects.runId, created!.id))).toEqual([
      { runId: created!.id, rowNumber: 3, line: 4, columnName: 'qty', valueExcerpt: 'x', reason: 'not an integer', fields: ['1', null, 'x'] },
    ]);

    await db.delete(workspaces).where(eq(workspaces.id, workspace.id));
    expect(await db.select().from(importRuns).where(eq(importRuns.id, created!.id))).toEqual([]);
    expect(await db.select().from(importRejects).where(eq(importRejects.runId, created!.id))).toEqual([]);
  });

  it('refuses a second running run on the same table, and allows it once the first has ended', async () => {
    const { db, run } = await fixture();
    const [first] = await db.insert(importRuns).values(run()).returning({ id: importRuns.id });
    await expect(db.insert(importRuns).values(run())).rejects.toThrow();
    await db.insert(importRuns).values(run({ targetTable: 'public.customers' }));
    await db.update(importRuns).set({ outcome: 'succeeded' }).where(eq(importRuns.id, first!.id));
    await db.insert(importRuns).values(run());
  });

  it('refuses an unknown mode, error policy or outcome', async () => {
    const { db, run } = await fixture();
    await expect(db.insert(importRuns).values(run({ mode: 'merge', targetTable: 't1' }))).rejects.toThrow();
    await expect(db.insert(importRuns).values(run({ errorPolicy: 'some', targetTable: 't2' }))).rejects.toThrow();
    await expect(db.insert(importRuns).values(run({ outcome: 'done', targetTable: 't3' }))).rejects.toThrow();
  });

  it('reverting 0010 drops only the import tables; projects is unchanged', async () => {
    const projectsBefore = await columnsOf(testDatabase, 'projects');
    const migrator = new Migrator(testDatabase.database);
    // Later migrations come off first; 0010 is the last one reverted here.
    const reverted: string[] = [];
    while (reverted.at(-1) !== '0010_import_runs') {
      const next = await migrator.revert();
      if (!next) throw new Error('0010_import_runs was never reverted');
      reverted.push(next.name);
    }
    expect(await columnsOf(testDatabase, 'import_runs')).toEqual([]);
    expect(await columnsOf(testDatabase, 'import_rejects')).toEqual([]);
    expect(await columnsOf(testDatabase, 'projects')).toEqual(projectsBefore);
    expect((await migrator.migrate()).applied.map((entry) => entry.name)).toEqual([...reverted].reverse());
    expect((await columnsOf(testDatabase, 'import_rejects')).map((c) => c.name)).toEqual(['run_id', 'row_number', 'line', 'column_name', 'value_excerpt', 'reason', 'fields']);
  });
});
