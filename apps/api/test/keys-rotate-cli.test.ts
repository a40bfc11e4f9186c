// The real `keys` command line (what `pnpm keys:rotate` / `pnpm keys:status` run), as a child
// process against a system database on disk: an embedded PGlite folder, and a fresh PostgreSQL
// database when DATABASE_URL is set.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, Migrator, type Database } from '@studio/db';
import { connections, workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionService } from '../src/services/connections';
import { KeyRing } from '../src/services/crypto';

const apiDir = join(import.meta.dirname, '..');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface CliDatabase {
  /** Environment that points the CLI at the database. */
  env: Record<string, string>;
  /** Opens the database for the test; on PGlite the CLI needs it closed (the folder is locked). */
  open(): Promise<Database>;
}

async function cliDatabase(target: (typeof testTargets)[number]): Promise<CliDatabase> {
  if (target.name === 'postgres') {
    const testDb = await target.create();
    cleanups.push(() => testDb.dispose());
    await new Migrator(testDb.database).migrate();
    return { env: { DATABASE_URL: testDb.url as string }, open: () => testDb.openAnother() };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'studio-keys-cli-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const first = await createDatabase({ dataDir });
  await new Migrator(first).migrate();
  await first.close();
  return { env: { DATA_DIR: dataDir }, open: () => createDatabase({ dataDir }) };
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], { cwd: apiDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(testTargets)('keys CLI on $name', (target) => {
  it('status, refused retire, dry run, rotate, then retire allowed', async () => {
    const key1 = KeyRing.generateKey();
    const key2 = KeyRing.generateKey();
    const target1 = await cliDatabase(target);
    const passwords = ['first-secret-password', 'second-secret-password', 'third-secret-password'];

    const setup = await target1.open();
    const [workspace] = await setup.db.insert(workspaces).values({ name: 'keys', slug: 'keys-cli' }).returning({ id: workspaces.id });
    const sealed = new ConnectionService(setup.db, KeyRing.parse(`1:${key1}`));
    const ids: string[] = [];
    for (const [i, password] of passwords.entries()) {
      ids.push((await sealed.create(workspace!.id, { name: `c${i}`, type: 'postgres', host: '127.0.0.1', port: 5432, database: 'x', user: `u${i}`, password }, null)).id);
    }
    await setup.close();

    const env = { ...target1.env, ENCRYPTION_KEYS: `1:${key1},2:${key2}` };
    const status = await runCli(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/key ring: versions 2, 1 \(newest 2/);
    expect(status.stdout).toMatch(/key 1: 3 connection row\(s\)/);

    const refused = await runCli(['status', '--retire', '1'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/refused \[key_in_use\]/);

    const dry = await runCli(['rotate', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would re-seal 3 with key 2[\s\S]*nothing was written/);

    // pnpm forwards `--` before script arguments; the CLI accepts it.
    const rotated = await runCli(['rotate', '--', '--batch-size=2'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/3 row\(s\) were on an older key; re-sealed 3 with key 2 in 2 batch\(es\)/);
    expect(rotated.stdout).toMatch(/every stored credential is on the newest key/);

    const retire = await runCli(['status', '--retire', '1'], { ...target1.env, ENCRYPTION_KEYS: `1:${key1},2:${key2}` });
    expect(retire.code, retire.stderr).toBe(0);
    expect(retire.stdout).toMatch(/key 1 is not used by any stored credential/);

    // The old key removed from the ring: everything still decrypts.
    const check = await target1.open();
    const reader = new ConnectionService(check.db, KeyRing.parse(`2:${key2}`));
    for (const [i, id] of ids.entries()) expect((await reader.settingsOf(workspace!.id, id)).password).toBe(passwords[i]);
    expect((await check.db.select({ v: connections.keyVersion }).from(connections)).map((r) => r.v)).toEqual([2, 2, 2]);
    await check.close();

    for (const output of [status, refused, dry, rotated, retire]) {
      for (const secret of [key1, key2, ...passwords]) expect(output.stdout + output.stderr).not.toContain(secret);
    }

    const usage = await runCli(['rotate', '--retire', '1'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--retire does not apply to "rotate"[\s\S]*usage: keys/);
  }, 120_000);
});
