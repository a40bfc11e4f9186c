import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConstraintViolation, type ConstraintViolation } from '../src/constraint-errors';
import {
  apiTokens,
  connectionAccess,
  environments,
  projects,
  roles,
  storedProcedures,
  users,
  workspaceMembers,
  workspaces,
} from '../src/schema/index';
import { addMember, createConnection, createRole, createUser, createWorkspace, unique } from './factories';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

async function violation(promise: Promise<unknown>): Promise<ConstraintViolation> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the insert should have been rejected').toBeDefined();
  const described = describeConstraintViolation(error);
  expect(described, `not a constraint violation: ${String(error)}`).toBeDefined();
  return described!;
}

describe.each(testTargets)('constraints on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await createMigratedDatabase(target);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });
  const db = () => testDatabase.database.db;

  it('rejects a duplicate username, case-insensitively', async () => {
    const user = await createUser(db());
    const found = await violation(createUser(db(), { username: user.username.toUpperCase(), roleId: user.roleId }));
    expect(found).toMatchObject({
      kind: 'unique',
      sqlState: '23505',
      constraint: 'users_username_key',
      field: 'username',
      message: 'this username is already taken',
    });
  });

  it('rejects a second user with the same Google subject', async () => {
    const role = await createRole(db());
    await createUser(db(), { roleId: role.id, googleSubject: 'google-sub-1' });
    expect(await violation(createUser(db(), { roleId: role.id, googleSubject: 'google-sub-1' }))).toMatchObject({
      kind: 'unique',
      constraint: 'users_google_subject_key',
      field: 'googleSubject',
    });
  });

  it('rejects a user whose role does not exist, and deleting a role still in use', async () => {
    expect(await violation(createUser(db(), { roleId: randomUUID() }))).toMatchObject({
      kind: 'foreign_key',
      constraint: 'users_role_id_fkey',
      field: 'roleId',
    });
    const user = await createUser(db());
    expect(await violation(db().delete(roles).where(eq(roles.id, user.roleId)))).toMatchObject({
      kind: 'foreign_key',
      constraint: 'users_role_id_fkey',
    });
  });

  it('rejects a duplicate workspace slug and a malformed one', async () => {
    const workspace = await createWorkspace(db());
    expect(await violation(createWorkspace(db(), { slug: workspace.slug }))).toMatchObject({
      kind: 'unique',
      constraint: 'workspaces_slug_key',
      field: 'slug',
    });
    expect(await violation(createWorkspace(db(), { slug: 'Not A Slug' }))).toMatchObject({
      kind: 'check',
      constraint: 'workspaces_slug_check',
      field: 'slug',
    });
  });

  it('rejects a second membership of the same user in the same workspace', async () => {
    const workspace = await createWorkspace(db());
    const user = await createUser(db());
    await addMember(db(), workspace.id, user.id);
    expect(await violation(addMember(db(), workspace.id, user.id))).toMatchObject({
      kind: 'unique',
      constraint: 'workspace_members_workspace_user_key',
      field: 'userId',
      message: 'this user is already a member of the workspace',
    });
  });

  it('rejects memberships pointing at a missing user or workspace', async () => {
    const workspace = await createWorkspace(db());
    const user = await createUser(db());
    expect(await violation(addMember(db(), workspace.id, randomUUID()))).toMatchObject({
      kind: 'foreign_key',
      constraint: 'workspace_members_user_id_fkey',
      field: 'userId',
    });
    expect(
      await violation(db().insert(workspaceMembers).values({ workspaceId: randomUUID(), userId: user.id })),
    ).toMatchObject({ kind: 'foreign_key', constraint: 'workspace_members_workspace_id_fkey', field: 'workspaceId' });
  });

  it('keeps connection names unique per workspace only, and ports in range', async () => {
    const workspace = await createWorkspace(db());
    const other = await createWorkspace(db());
    const connection = await createConnection(db(), workspace.id, { name: 'Reporting' });
    await expect(createConnection(db(), other.id, { name: connection.name })).resolves.toBeDefined();
    expect(await violation(createConnection(db(), workspace.id, { name: 'Reporting' }))).toMatchObject({
      kind: 'unique',
      constraint: 'connections_workspace_name_key',
      field: 'name',
    });
    expect(await violation(createConnection(db(), workspace.id, { port: 70_000 }))).toMatchObject({
      kind: 'check',
      constraint: 'connections_port_check',
      field: 'port',
    });
    expect(await violation(createConnection(db(), randomUUID()))).toMatchObject({
      kind: 'foreign_key',
      constraint: 'connections_workspace_id_fkey',
    });
  });

  it('grants a user access to a connection once', async () => {
    const workspace = await createWorkspace(db());
    const user = await createUser(db());
    const connection = await createConnection(db(), workspace.id);
    const grant = { connectionId: connection.id, userId: user.id, level: 'use' as const };
    await db().insert(connectionAccess).values(grant);
    expect(await violation(db().insert(connectionAccess).values({ ...grant, level: 'manage' }))).toMatchObject({
      kind: 'unique',
      constraint: 'connection_access_connection_user_key',
    });
  });

  it('allows one default environment per workspace and unique environment names', async () => {
    const workspace = await createWorkspace(db());
    await db().insert(environments).values({ workspaceId: workspace.id, name: 'Production', isDefault: true });
    expect(
      await violation(db().insert(environments).values({ workspaceId: workspace.id, name: 'Staging', isDefault: true })),
    ).toMatchObject({ kind: 'unique', constraint: 'environments_workspace_default_key', field: 'isDefault' });
    expect(
      await violation(db().insert(environments).values({ workspaceId: workspace.id, name: 'Production' })),
    ).toMatchObject({ kind: 'unique', constraint: 'environments_workspace_name_key', field: 'name' });
  });

  it('applies seed 003 constraints to stored_procedures', async () => {
    const workspace = await createWorkspace(db());
    const user = await createUser(db());
    const procedure = { workspaceId: workspace.id, name: 'usp_report', sqlDraft: 'SELECT 1', createdBy: user.id };
    await db().insert(storedProcedures).values(procedure);
    expect(await violation(db().insert(storedProcedures).values(procedure))).toMatchObject({
      kind: 'unique',
      constraint: 'stored_procedures_workspace_name_key',
      field: 'name',
    });
    expect(
      await violation(db().insert(storedProcedures).values({ ...procedure, name: 'x', workspaceId: randomUUID() })),
    ).toMatchObject({ kind: 'foreign_key', constraint: 'stored_procedures_workspace_id_fkey' });
    expect(
      await violation(db().insert(storedProcedures).values({ ...procedure, name: 'y', createdBy: randomUUID() })),
    ).toMatchObject({ kind: 'foreign_key', constraint: 'stored_procedures_created_by_fkey' });
    expect(
      await violation(db().insert(storedProcedures).values({ ...procedure, name: 'z', status: 'published' })),
    ).toMatchObject({ kind: 'check', constraint: 'stored_procedures_published_check' });
  });

  it('keeps API token hashes and project names unique', async () => {
    const workspace = await createWorkspace(db());
    const token = { workspaceId: workspace.id, name: 'ci', tokenHash: unique('hash'), prefix: 'st_abc' };
    await db().insert(apiTokens).values(token);
    expect(await violation(db().insert(apiTokens).values({ ...token, name: 'copy' }))).toMatchObject({
      kind: 'unique',
      constraint: 'api_tokens_token_hash_key',
    });
    await db().insert(projects).values({ workspaceId: workspace.id, name: 'Import' });
    expect(await violation(db().insert(projects).values({ workspaceId: workspace.id, name: 'Import' }))).toMatchObject({
      kind: 'unique',
      constraint: 'projects_workspace_name_key',
      field: 'name',
    });
  });

  it('names the missing column of a NOT NULL violation and never echoes values', async () => {
    const error = await db()
      .insert(workspaces)
      .values({ name: null as unknown as string, slug: 'secret-slug-value' })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    const described = describeConstraintViolation(error);
    expect(described).toMatchObject({ kind: 'not_null', field: 'name', message: 'name is required' });
    expect(JSON.stringify(described)).not.toContain('secret-slug-value');
    expect(describeConstraintViolation(new Error('not a database error'))).toBeUndefined();
    const user = await createUser(db());
    const dupe = await db()
      .insert(users)
      .values({ username: user.username, roleId: user.roleId })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(JSON.stringify(describeConstraintViolation(dupe))).not.toContain(user.username);
  });
});
