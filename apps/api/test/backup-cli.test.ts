// `pnpm db:backup` / `pnpm db:restore` as processes: moving the system database from the embedded
// PGlite to PostgreSQL and back keeps people able to sign in and credentials decryptable; a wrong
// key ring is reported as such; a database holding rows is refused without --force.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, Migrator, seed, type Database } from '@studio/db';
import { connections, workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBackupArgs, probeDecryption } from '../src/cli/backup';
import { ConnectionService, credentialContext } from '../src/services/connections';
import { KeyRing } from '../src/services/crypto';
import { SessionService, createLucia } from '../src/services/sessions';

const apiDir = join(import.meta.dirname, '..');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/backup.ts', ...args], { cwd: apiDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const ADMIN_PASSWORD = 'moving-admin-password';
const DB_PASSWORD = 'the-workspace-database-password';

/** Signs in as the seeded admin and reads the stored credential back with the key ring. */
async function assertUsable(database: Database, keyRing: KeyRing, connectionId: string): Promise<void> {
  const sessions = new SessionService(database.db, createLucia(database.db, 1));
  await expect(sessions.verifyCredentials('admin', ADMIN_PASSWORD)).resolves.toMatchObject({ username: 'admin' });
  const [row] = await database.db.select().from(connections).where(eq(connections.id, connectionId));
  expect(keyRing.decrypt(row!.passwordEncrypted!, credentialContext(connectionId, 'password'))).toBe(DB_PASSWORD);
  expect(await probeDecryption(database, keyRing)).toMatchObject({ state: 'ok' });
}

describe('db:backup / db:restore arguments', () => {
  it('parses the documented forms and refuses the rest by name', () => {
    expect(parseBackupArgs(['backup', '--out', 'dir'])).toEqual({ command: 'backup', out: 'dir' });
    expect(parseBackupArgs(['restore', 'f.studio-backup', '--into=postgres://h/db', '--force'])).toMatchObject({ into: 'postgres://h/db', force: true });
    expect(() => parseBackupArgs(['restore'])).toThrow(/FILE is required/);
    expect(() => parseBackupArgs(['restore', 'f', '--into', 'postgres://h/db', '--data-dir', 'x'])).toThrow(/not both/);
    expect(() => parseBackupArgs(['restore', 'f', '--into', 'mysql://h/db'])).toThrow(/postgres:\/\//);
    expect(() => parseBackupArgs(['backup', '--force'])).toThrow(/does not apply/);
  });
});

const postgres = testTargets.find((target) => target.name === 'postgres');
describe.runIf(postgres !== undefined)('moving the system database between engines', () => {
  it('PGlite → PostgreSQL → PGlite keeps sign-in and credentials, and reports a wrong key ring', { timeout: 480_000 }, async () => {
    const key = KeyRing.generateKey();
    const keyRing = KeyRing.parse(`1:${key}`);
    const keys = { ENCRYPTION_KEYS: `1:${key}` };
    const work = await mkdtemp(join(tmpdir(), 'studio-backup-cli-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));

    // The laptop: an embedded database with a saved connection.
    const laptopDir = join(work, 'laptop');
    const laptop = await createDatabase({ dataDir: laptopDir });
    await new Migrator(laptop).migrate();
    await seed(laptop.db, { adminPassword: ADMIN_PASSWORD, userPassword: 'moving-user-password', log: () => undefined });
    const [workspace] = await laptop.db.select().from(workspaces).where(eq(workspaces.slug, 'twsbp'));
    const { id: connectionId } = await new ConnectionService(laptop.db, keyRing).create(
      workspace!.id,
      { name: 'warehouse', type: 'postgres', host: '10.0.0.5', port: 5432, database: 'dw', user: 'reporter', password: DB_PASSWORD },
      null,
    );
    await laptop.close();

    const backup = await runCli(['backup', '--out', join(work, 'out')], { DATA_DIR: laptopDir, ...keys });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/wrote .*\.studio-backup\n.*MiB in \d+ ms/);
    const [laptopFile] = await readdir(join(work, 'out'));
    const file = join(work, 'out', laptopFile!);

    // The server: an empty PostgreSQL database.
    const server = await postgres!.create();
    cleanups.push(() => server.dispose());
    const restored = await runCli(['restore', file, '--into', server.url!], { DATA_DIR: join(work, 'unused'), ...keys });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/counts match the manifest/);
    expect(restored.stdout).toMatch(/migrations are current/);
    expect(restored.stdout).toMatch(/ENCRYPTION_KEYS decrypts the stored credentials/);
    await assertUsable(server.database, keyRing, connectionId);

    const again = await runCli(['restore', file, '--into', server.url!], { DATA_DIR: join(work, 'unused'), ...keys });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/restore_target_not_empty.*--force/s);

    const wrongKeys = { ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}` };
    const wrong = await runCli(['restore', file, '--into', server.url!, '--force'], { DATA_DIR: join(work, 'unused'), ...wrongKeys });
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(/WRONG KEY RING/);
    expect(wrong.stdout).not.toContain(DB_PASSWORD);

    // And back: a backup of the server restored into a new embedded folder.
    const serverBackup = await runCli(['backup', '--out', join(work, 'server-out')], { DATABASE_URL: server.url!, ...keys });
    expect(serverBackup.code).toBe(0);
    const [serverFile] = await readdir(join(work, 'server-out'));
    const backHome = join(work, 'back-home');
    const home = await runCli(['restore', join(work, 'server-out', serverFile!), '--data-dir', backHome], { DATA_DIR: join(work, 'unused'), ...keys });
    expect(home.code).toBe(0);
    const reopened = await createDatabase({ dataDir: backHome });
    try {
      await assertUsable(reopened, keyRing, connectionId);
    } finally {
      await reopened.close();
    }
  });
});
