// Shared by the backup tests: a database with rows of every kind, and its full contents.
import { auditLog } from '../src/schema/index';
import type { Database } from '../src/client';
import { quoteIdent, tablesInLoadOrder } from '../src/backup/catalog';
import { seed } from '../src/seed';
import { withSession } from '../src/session';
import { addMember, createConnection, createEnvironment, createProject, createUser, createWorkspace } from './factories';

/** Seed plus a workspace with members, a connection used by an environment and a project, audit rows. */
export async function fillDatabase(database: Database): Promise<void> {
  const { db } = database;
  await seed(db, { adminPassword: 'admin-password-1', userPassword: 'user-password-1' });
  const owner = await createUser(db);
  const workspace = await createWorkspace(db, { createdBy: owner.id });
  await addMember(db, workspace.id, owner.id);
  await addMember(db, workspace.id, (await createUser(db, { roleId: owner.roleId })).id);
  const connection = await createConnection(db, workspace.id, { options: { encrypt: true, note: 'line one\nline "two" ✓' } });
  await createEnvironment(db, workspace.id, connection.id);
  await createProject(db, workspace.id, null);
  await db.insert(auditLog).values(
    Array.from({ length: 25 }, (_, i) => ({
      action: 'connection.create',
      actorUsername: `user-${i}`,
      workspaceId: workspace.id,
      targetType: 'connection',
      targetId: connection.id,
      outcome: 'success' as const,
      details: { attempt: i, nested: { ok: true, list: [1, 2.5, 'x'] } },
    })),
  );
}

/** Every table's rows as canonical JSON (UTC timestamps), sorted: two databases are equal when these are. */
export async function contentsOf(database: Database): Promise<Record<string, string[]>> {
  return withSession(database, (session) =>
    session.transaction(async (tx) => {
      await tx.exec("SET LOCAL TimeZone = 'UTC'");
      const contents: Record<string, string[]> = {};
      for (const table of await tablesInLoadOrder(tx)) {
        const rows = await tx.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM public.${quoteIdent(table)} t`);
        contents[table] = rows.map((row) => row.r).sort();
      }
      return contents;
    }),
  );
}
