// Backups taken by the running app: system Admins only, each run recorded with its outcome, audited,
// retention after success only, and the schedule taken once per tick across two instances.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backupRuns, roles, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { AuditService } from '../src/services/audit';
import { BackupService, type BackupConfig } from '../src/services/backups';
import { createHarness, problemOf, type Harness, type UserFixture } from './support/harness';

describe.each(testTargets)('backups on $name', (target) => {
  let h: Harness;
  let dir: string;
  let admin: UserFixture;
  let plain: UserFixture;
  const config = (): BackupConfig => ({ dir, keep: 2, maxAgeDays: 30, schedule: undefined, appVersion: '9.9.9' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'studio-api-backups-'));
    h = await createHarness(target, { backups: config() });
    const db = h.testDb.database.db;
    await db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    const [adminRole] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    admin = await h.user('backup_admin');
    await db.update(users).set({ roleId: adminRole!.id }).where(eq(users.id, admin.id));
    plain = await h.user('backup_plain');
  });
  afterAll(async () => {
    await h?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a backup for a system Admin, lists it with its manifest summary, and audits it', async () => {
    const run = await h.caller(admin.principal).backups.run({});
    expect(run).toMatchObject({ trigger: 'manual', outcome: 'success', downloadable: true, error: null });
    expect(run.summary).toMatchObject({ appVersion: '9.9.9', engine: h.testDb.database.kind });
    expect(run.summary?.rows).toBeGreaterThan(0);
    expect(run.bytes).toBeGreaterThan(0);
    expect(await readdir(dir)).toContain(run.fileName);
    const listed = await h.caller(admin.principal).backups.list({ limit: 10 });
    expect(listed.items[0]).toMatchObject({ id: run.id, outcome: 'success' });
    const audit = (await h.auditRows()).filter((row) => row.action === 'backup.create');
    expect(audit.at(-1)).toMatchObject({ outcome: 'success', actorUserId: admin.id, targetId: run.id });
  });

  it('refuses everyone but system Admins', async () => {
    expect((await problemOf(h.caller(plain.principal).backups.run({}))).error).toBe('forbidden');
    expect((await problemOf(h.caller(plain.principal).backups.list({ limit: 5 }))).error).toBe('forbidden');
    const { principal } = await h.token((await h.workspace(admin)).id, 'Owner');
    expect((await problemOf(h.caller(principal).backups.list({ limit: 5 }))).error).toBe('forbidden');
  });

  it('keeps exactly BACKUP_KEEP files after each success; the pruned run stays listed, not downloadable', async () => {
    const caller = h.caller(admin.principal);
    const a = await caller.backups.run({});
    const b = await caller.backups.run({});
    const c = await caller.backups.run({});
    const files = (await readdir(dir)).filter((name) => name.endsWith('.studio-backup')).sort();
    expect(files).toEqual([b.fileName, c.fileName].sort());
    expect((await caller.backups.get({ backupId: a.id })).downloadable).toBe(false);
    expect((await problemOf(caller.backups.download({ backupId: a.id }))).error).toBe('not_found');
    expect((await caller.backups.download({ backupId: c.id })).fileName).toBe(c.fileName);
  });

  it('records a failure, audits it, and prunes nothing', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    await writeFile(blocker, 'a file where the backup folder should be');
    const before = (await readdir(dir)).sort();
    const failing = new BackupService(h.testDb.database, { ...config(), dir: blocker, keep: 1 }, new AuditService(h.testDb.database.db, createLogger('silent')), createLogger('silent'));
    const run = await failing.run({ trigger: 'manual', actor: { userId: admin.id, username: admin.username } });
    expect(run.outcome).toBe('failure');
    expect(run.error).toMatch(/not-a-folder/);
    expect((await readdir(dir)).sort()).toEqual(before);
    const audit = (await h.auditRows()).filter((row) => row.action === 'backup.create' && row.outcome === 'failure');
    expect(audit).toHaveLength(1);
    await rm(blocker);
  });
});

const postgres = testTargets.find((target) => target.name === 'postgres');
describe.runIf(postgres !== undefined)('scheduled backups across two instances (PostgreSQL)', () => {
  let h: Harness;
  let dirs: string[];
  let services: BackupService[];
  beforeAll(async () => {
    h = await createHarness(postgres!);
    dirs = [await mkdtemp(path.join(tmpdir(), 'studio-sched-a-')), await mkdtemp(path.join(tmpdir(), 'studio-sched-b-'))];
    const second = await h.testDb.openAnother();
    services = [h.testDb.database, second].map(
      (database, i) =>
        new BackupService(database, { dir: dirs[i]!, keep: 0, maxAgeDays: 0, schedule: '* * * * * *', appVersion: 'test' }, new AuditService(database.db, createLogger('silent')), createLogger('silent')),
    );
  });
  afterAll(async () => {
    for (const service of services ?? []) service.stopSchedule();
    await h?.dispose();
    for (const dir of dirs ?? []) await rm(dir, { recursive: true, force: true });
  });

  it('gives each tick to exactly one instance', async () => {
    const slot = new Date('2026-12-04T03:00:00.000Z');
    const results = await Promise.all(services.map((service) => service.runScheduled(slot)));
    expect(results.filter((run) => run?.outcome === 'success')).toHaveLength(1);
    const rows = await h.testDb.database.db.select().from(backupRuns).where(eq(backupRuns.scheduledFor, slot));
    expect(rows).toHaveLength(1);
  });

  it('runs the cron in both instances and takes every tick once', async () => {
    const started = new Date();
    for (const service of services) service.startSchedule();
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    for (const service of services) service.stopSchedule();
    // Let a tick that started just before the stop finish.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const rows = (await h.testDb.database.db.select().from(backupRuns).where(eq(backupRuns.trigger, 'scheduled'))).filter(
      (row) => row.scheduledFor !== null && row.scheduledFor >= new Date(started.getTime() - 1000),
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const slots = rows.map((row) => row.scheduledFor?.toISOString());
    expect(new Set(slots).size).toBe(slots.length);
    const files = [...(await readdir(dirs[0]!)), ...(await readdir(dirs[1]!))].filter((name) => name.endsWith('.studio-backup'));
    expect(files).toHaveLength(rows.filter((row) => row.outcome === 'success').length + 1);
  });
});
