// The operator CLI (pnpm ws:migrate / ws:rollback / ws:status) as its own process against a
// PostgreSQL system database: table output, exit codes, runs audited as cli:<user>. Needs
// DATABASE_URL (a second process cannot open the test's in-memory PGlite).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../src/services/crypto';
import { createHarness, type Harness } from './support/harness';
import { useWorkspaceSqlServer } from './support/workspace-migrations';

const postgres = testTargets.find((target) => target.name === 'postgres');
// Under CI a missing service is a failure, never a skip (testTargets includes postgres there and its create() fails).
if (!postgres) console.warn('workspace-migrations-cli.test.ts skipped: DATABASE_URL is not set');

const apiDir = fileURLToPath(new URL('..', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'ENCRYPTION_KEYS', 'CI']) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/ws-migrate.ts', ...args], {
      cwd: apiDir,
      env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The table row of a workspace: its cells, split on the column gaps. */
function rowOf(stdout: string, slug: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${slug} `));
  if (!line) throw new Error(`no row for ${slug} in:\n${stdout}`);
  return line.split(/\s{2,}/);
}

describe.skipIf(!postgres)('ws:* CLI against PostgreSQL', () => {
  const server = useWorkspaceSqlServer(['cli_one', 'cli_two', 'cli_broken']);
  const keys = `1:${KeyRing.generateKey()}`;
  let h: Harness;
  let env: Record<string, string>;
  const slugs: Record<'one' | 'two' | 'broken', string> = { one: '', two: '', broken: '' };

  beforeAll(async () => {
    h = await createHarness(postgres!, { keyRing: KeyRing.parse(keys) });
    env = { DATABASE_URL: h.testDb.url!, ENCRYPTION_KEYS: keys };
    const owner = await h.user('owner');
    const caller = h.caller(owner.principal);
    for (const name of ['one', 'two', 'broken'] as const) {
      const ws = await h.workspace(owner);
      slugs[name] = ws.slug;
      await caller.environments.create({ workspaceId: ws.id, name: 'Production', autoMigrate: false, connection: server.params(`cli_${name}`) });
    }
    await server.query('cli_broken', 'CREATE TABLE dbo.studio_workspace_info (legacy INT NOT NULL)');
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('refuses bad arguments with exit code 2, naming the flag', async () => {
    const run = await runCli(['rollback', '--workspace', 'x', '--steps', 'zero'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--steps');
    const unknown = await runCli(['migrate', '--workspace', 'no-such-workspace'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workspace with slug "no-such-workspace"');
  });

  it('status, dry run, migrate --all with one failure, rollback: tables, exit codes, audit', async () => {
    const status = await runCli(['status', '--workspace', slugs.one], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^WORKSPACE\s+ENVIRONMENT\s+STATUS\s+VERSION\s+LATEST\s+PENDING/);
    expect(rowOf(status.stdout, slugs.one).slice(0, 6)).toEqual([slugs.one, 'Production', 'uninitialised', '-', '2', '1,2']);

    const dry = await runCli(['migrate', '--workspace', slugs.one, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('CREATE TABLE dbo.studio_workspace_info');
    expect(await server.history('cli_one')).toEqual([]);

    const all = await runCli(['migrate', '--all', '--concurrency', '2'], env);
    expect(all.code, all.stderr).toBe(1);
    expect(rowOf(all.stdout, slugs.one).slice(0, 6)).toEqual([slugs.one, 'Production', 'applied', '-', '2', '1,2']);
    expect(rowOf(all.stdout, slugs.two).slice(0, 3)).toEqual([slugs.two, 'Production', 'applied']);
    const broken = rowOf(all.stdout, slugs.broken);
    expect(broken.slice(0, 3)).toEqual([slugs.broken, 'Production', 'failed']);
    expect(broken.at(-1)).toMatch(/^MIGRATION_FAILED 2714: .*studio_workspace_info/);
    expect(all.stdout).toContain('2 ok, 1 failed, 0 skipped');
    expect(await server.history('cli_two')).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(await server.history('cli_broken')).toEqual([[1, false]]);

    const rollback = await runCli(['rollback', '--workspace', slugs.one, '--steps', '1'], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rowOf(rollback.stdout, slugs.one).slice(0, 6)).toEqual([slugs.one, 'Production', 'rolled_back', '2', '1', '2']);
    expect(await server.history('cli_one')).toEqual([[1, true]]);

    const everything = await runCli(['status'], env);
    expect(everything.code, everything.stderr).toBe(0);
    expect(rowOf(everything.stdout, slugs.one).slice(2, 6)).toEqual(['needs_migration', '1', '2', '2']);
    expect(rowOf(everything.stdout, slugs.two).slice(2, 4)).toEqual(['current', '2']);
    expect(rowOf(everything.stdout, slugs.broken).slice(2, 3)).toEqual(['uninitialised']);

    const audit = (await h.auditRows()).filter((row) => row.action.startsWith('migration.'));
    expect(audit.filter((row) => row.action === 'migration.apply')).toHaveLength(3);
    expect(audit.every((row) => row.actorUsername?.startsWith('cli:') && (row.details as { trigger?: string }).trigger === 'cli')).toBe(true);
    expect(audit.find((row) => row.action === 'migration.applyAll')).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ ok: 2, failed: 1 }) });
    expect(JSON.stringify({ all, audit })).not.toContain(keys.slice(2));
  }, 120_000);
});
