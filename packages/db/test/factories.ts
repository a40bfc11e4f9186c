// Row factories: each call makes a uniquely named row so tests never collide.
import { randomBytes } from 'node:crypto';
import type { StudioDatabase } from '../src/client';
import {
  connections,
  environments,
  projects,
  roles,
  users,
  workspaceMembers,
  workspaces,
  type NewConnection,
  type NewUser,
  type NewWorkspace,
} from '../src/schema/index';

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function createRole(db: StudioDatabase, name = unique('role')) {
  const [role] = await db.insert(roles).values({ name }).returning();
  return role!;
}

export async function createUser(db: StudioDatabase, overrides: Partial<NewUser> = {}) {
  const roleId = overrides.roleId ?? (await createRole(db)).id;
  const [user] = await db
    .insert(users)
    .values({ username: unique('user'), roleId, ...overrides })
    .returning();
  return user!;
}

export async function createWorkspace(db: StudioDatabase, overrides: Partial<NewWorkspace> = {}) {
  const slug = unique('ws');
  const [workspace] = await db
    .insert(workspaces)
    .values({ name: slug.toUpperCase(), slug, ...overrides })
    .returning();
  return workspace!;
}

export async function addMember(db: StudioDatabase, workspaceId: string, userId: string) {
  const [member] = await db.insert(workspaceMembers).values({ workspaceId, userId, role: 'Member' }).returning();
  return member!;
}

export async function createConnection(db: StudioDatabase, workspaceId: string, overrides: Partial<NewConnection> = {}) {
  const [connection] = await db
    .insert(connections)
    .values({
      workspaceId,
      name: unique('conn'),
      type: 'mssql',
      host: 'sql.example.test',
      port: 1433,
      database: 'app',
      userEncrypted: 'v1:ciphertext-of-user',
      passwordEncrypted: 'v1:ciphertext-of-password',
      keyVersion: 1,
      ...overrides,
    })
    .returning();
  return connection!;
}

export async function createEnvironment(db: StudioDatabase, workspaceId: string, connectionId: string | null) {
  const [environment] = await db
    .insert(environments)
    .values({ workspaceId, name: unique('env'), connectionId })
    .returning();
  return environment!;
}

export async function createProject(db: StudioDatabase, workspaceId: string, connectionId: string | null) {
  const [project] = await db.insert(projects).values({ workspaceId, name: unique('project'), connectionId }).returning();
  return project!;
}
