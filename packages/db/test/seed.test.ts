import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/password';
import { seed } from '../src/seed';
import { withSession } from '../src/session';
import { roles, users, workspaceMembers, workspaces } from '../src/schema/index';
import type { Database } from '../src/client';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

const TABLES = ['roles', 'users', 'workspaces', 'workspace_members', 'sessions', 'connections', 'environments'];

async function rowCounts(database: Database): Promise<Record<string, number>> {
  return withSession(database, async (session) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
      counts[table] = row?.n ?? -1;
    }
    return counts;
  });
}

describe.each(testTargets)('seed on $name', (target) => {
  let testDatabase: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
    dataDir = await mkdtemp(path.join(tmpdir(), 'studio-seed-'));
  });
  afterAll(async () => {
    await testDatabase?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates seed 003 once; a second run changes nothing', async () => {
    const { db } = testDatabase.database;
    const lines: string[] = [];
    const credentialsFile = path.join(dataDir, 'initial-credentials.txt');
    const first = await seed(db, { userPassword: 'user-password-1', log: (line) => lines.push(line), credentialsFile });

    expect(first.created).toEqual({
      roles: ['Admin', 'User'],
      users: ['admin', 'user'],
      workspaces: ['twsbp'],
      memberships: ['admin@twsbp', 'user@twsbp'],
    });
    // Only the password that was not given is generated, and it is printed once.
    expect(first.generatedCredentials.map((entry) => entry.username)).toEqual(['admin']);
    const adminPassword = first.generatedCredentials[0]!.password;
    expect(adminPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(lines.join('\n')).toContain(adminPassword);
    expect(lines.join('\n')).not.toContain('user-password-1');

    const file = await stat(credentialsFile);
    expect(file.mode & 0o777).toBe(0o600);
    expect(await readFile(credentialsFile, 'utf8')).toContain(`admin: ${adminPassword}`);

    // The generated password must be replaced at the first sign-in; the chosen one need not be.
    const flags = await db.select({ username: users.username, mustChangePassword: users.mustChangePassword }).from(users).orderBy(users.username);
    expect(flags).toEqual([
      { username: 'admin', mustChangePassword: true },
      { username: 'user', mustChangePassword: false },
    ]);

    const countsAfterFirst = await rowCounts(testDatabase.database);
    const usersBefore = await db.select().from(users).orderBy(users.username);

    const secondLines: string[] = [];
    const second = await seed(db, { log: (line) => secondLines.push(line), credentialsFile });
    expect(second.created).toEqual({ roles: [], users: [], workspaces: [], memberships: [] });
    expect(second.generatedCredentials).toEqual([]);
    expect(await rowCounts(testDatabase.database)).toEqual(countsAfterFirst);
    expect(await db.select().from(users).orderBy(users.username)).toEqual(usersBefore);
    // The credentials file is written on creation only, never overwritten by a re-run.
    expect(await readFile(credentialsFile, 'utf8')).toContain(`admin: ${adminPassword}`);
  });

  it('gives admin the Admin role and Owner of twsbp, user the User role and Member, member_count 2', async () => {
    const { db } = testDatabase.database;
    const [workspace] = await db.select().from(workspaces).where(eq(workspaces.slug, 'twsbp'));
    expect(workspace).toMatchObject({ name: 'TWSBP', slug: 'twsbp', memberCount: 2 });

    const rows = await db
      .select({ username: users.username, role: roles.name, workspaceRole: workspaceMembers.role })
      .from(users)
      .innerJoin(roles, eq(roles.id, users.roleId))
      .innerJoin(workspaceMembers, eq(workspaceMembers.userId, users.id))
      .where(eq(workspaceMembers.workspaceId, workspace!.id))
      .orderBy(users.username);
    expect(rows).toEqual([
      { username: 'admin', role: 'Admin', workspaceRole: 'Owner' },
      { username: 'user', role: 'User', workspaceRole: 'Member' },
    ]);
    expect(workspace!.createdBy).toBeDefined();

    const [user] = await db.select().from(users).where(eq(users.username, 'user'));
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user!.passwordHash!, 'user-password-1')).toBe(true);
    expect(await verifyPassword(user!.passwordHash!, 'wrong')).toBe(false);
  });

  it('repairs a wrong member_count and keeps existing users untouched on re-run', async () => {
    const { db } = testDatabase.database;
    await db.update(workspaces).set({ memberCount: 7 }).where(eq(workspaces.slug, 'twsbp'));
    await db.update(users).set({ displayName: 'Renamed admin' }).where(eq(users.username, 'admin'));
    await seed(db);
    const [workspace] = await db.select().from(workspaces).where(eq(workspaces.slug, 'twsbp'));
    expect(workspace!.memberCount).toBe(2);
    const [admin] = await db.select().from(users).where(eq(users.username, 'admin'));
    expect(admin!.displayName).toBe('Renamed admin');
  });
});
