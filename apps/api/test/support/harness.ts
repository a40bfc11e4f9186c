import { afterAll, beforeAll } from 'vitest';
// Shared setup for router tests: one migrated database per test file (PGlite, or a fresh
// PostgreSQL database when DATABASE_URL is set), real services, and factories that make fresh
// users / workspaces / memberships / tokens so tests isolate by data, not by database.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '@studio/db/password';
import { auditLog, roles, users, workspaceMembers, workspaces, type WorkspaceRole } from '@studio/db/schema';
import { createMigratedDatabase, type TestDatabase, type TestTarget } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { createContextInner } from '../../src/context';
import { appRouter } from '../../src/routers/_app';
import type { Principal } from '../../src/services/authorization';
import { KeyRing } from '../../src/services/crypto';
import { closeServices, createServices, type AppServices, type CreateServicesOptions } from '../../src/services/index';
import { OutboundPolicy } from '../../src/services/outbound-policy';
import { createCallerFactory } from '../../src/trpc';
import { createLogger } from '../../src/logger';

export const TEST_PASSWORD = 'correct horse battery staple';
const createCaller = createCallerFactory(appRouter);

export interface Harness {
  testDb: TestDatabase;
  services: AppServices;
  /** A tRPC caller acting as `principal` (null = anonymous). */
  caller(principal: Principal | null, meta?: { ip?: string; userAgent?: string }): ReturnType<typeof createCaller>;
  /** The caller plus its context, to read cookies a procedure issued. */
  callerWithContext(principal: Principal | null): { caller: ReturnType<typeof createCaller>; ctx: ReturnType<typeof createContextInner> };
  user(name?: string): Promise<UserFixture>;
  workspace(owner: UserFixture): Promise<{ id: string; slug: string }>;
  member(workspaceId: string, user: UserFixture, role: WorkspaceRole): Promise<void>;
  token(workspaceId: string, role: WorkspaceRole): Promise<{ principal: Principal; token: string; id: string }>;
  auditRows(workspaceId?: string): Promise<(typeof auditLog.$inferSelect)[]>;
  dispose(): Promise<void>;
}

export interface UserFixture {
  id: string;
  username: string;
  principal: Principal;
}

const unique = () => randomBytes(4).toString('hex');

export async function createHarness(target: TestTarget, overrides: Partial<CreateServicesOptions> = {}): Promise<Harness> {
  const testDb = await createMigratedDatabase(target);
  const db = testDb.database.db;
  const services = await createServices({
    database: testDb.database,
    keyRing: KeyRing.parse(`1:${KeyRing.generateKey()}`),
    // Tests use IP literals; names resolve through this table so no test depends on real DNS.
    outboundPolicy: new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] }, async (host) => {
      const table: Record<string, string[]> = { 'metadata.test': ['169.254.169.254'], 'db.test': ['10.1.2.3'] };
      const found = table[host];
      if (!found) throw new Error(`unknown test host ${host}`);
      return found;
    }),
    logger: createLogger('silent'),
    sessionTtlHours: 24,
    ...overrides,
  });
  await db.insert(roles).values({ name: 'User' }).onConflictDoNothing();
  const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'User'));
  // argon2 is slow on purpose: hash once per file.
  const passwordHash = await hashPassword(TEST_PASSWORD);

  const build = (principal: Principal | null, meta: { ip?: string; userAgent?: string } = {}) =>
    createContextInner({ ...services, principal, requestMeta: { ip: meta.ip ?? '203.0.113.7', userAgent: meta.userAgent ?? 'vitest' } });

  return {
    testDb,
    services,
    caller: (principal, meta) => createCaller(build(principal, meta)),
    callerWithContext(principal) {
      const ctx = build(principal);
      return { caller: createCaller(ctx), ctx };
    },
    async user(name) {
      const username = `${name ?? 'user'}_${unique()}`;
      const [row] = await db.insert(users).values({ username, passwordHash, roleId: role!.id }).returning({ id: users.id });
      return { id: row!.id, username, principal: { kind: 'user', userId: row!.id, username, displayName: null } };
    },
    async workspace(owner) {
      const slug = `ws-${unique()}`;
      const [row] = await db.insert(workspaces).values({ name: slug, slug, createdBy: owner.id }).returning({ id: workspaces.id });
      await db.insert(workspaceMembers).values({ workspaceId: row!.id, userId: owner.id, role: 'Owner' });
      return { id: row!.id, slug };
    },
    async member(workspaceId, user, role) {
      await db.insert(workspaceMembers).values({ workspaceId, userId: user.id, role });
    },
    async token(workspaceId, role) {
      const created = await services.tokens.create({ workspaceId, name: `t-${unique()}`, role, createdBy: null });
      const principal = await services.tokens.authenticate(created.token);
      return { principal: principal!, token: created.token, id: created.id };
    },
    async auditRows(workspaceId) {
      const query = db.select().from(auditLog);
      return workspaceId ? query.where(eq(auditLog.workspaceId, workspaceId)) : query;
    },
    async dispose() {
      await closeServices(services, { poolDrainDeadlineMs: 1_000 });
      await testDb.dispose();
    },
  };
}

/** The F10 problem a rejected call carried, for assertions. */
/**
 * Another instance on the harness's database and key ring, as a second API process behind a load
 * balancer would be (its own caches, its own listener on the invalidation channel).
 */
export function createOtherInstance(h: Harness, overrides: Partial<CreateServicesOptions> = {}): Promise<AppServices> {
  return createServices({
    database: h.testDb.database,
    keyRing: h.services.keyRing,
    outboundPolicy: h.services.outboundPolicy,
    logger: createLogger('silent'),
    sessionTtlHours: 24,
    ...overrides,
  });
}

export async function problemOf(promise: Promise<unknown>): Promise<{ code: string; error: string; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const trpc = error as { code?: string; cause?: { problem?: { error: string; message: string; details: Record<string, unknown> } } };
    if (!trpc.cause?.problem) throw error;
    return { code: trpc.code ?? '', ...trpc.cause.problem };
  }
  throw new Error('expected the call to fail');
}

/**
 * One harness for the calling `describe` block: created in beforeAll, disposed in afterAll. The
 * returned object forwards to it, so tests use it like the harness itself.
 */
export function useHarness(target: TestTarget): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await createHarness(target);
  });
  afterAll(async () => {
    await current?.dispose();
  });
  return new Proxy({} as Harness, {
    get(_, property) {
      if (!current) throw new Error('the harness is created in beforeAll; use it inside a test or hook');
      return Reflect.get(current, property) as unknown;
    },
  });
}
