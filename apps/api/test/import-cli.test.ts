// `pnpm run import` as its own process against a PostgreSQL system database and the machine's
// PostgreSQL as the workspace database: a file lands and the exit code is 0; a refusal or a failed
// run exits 1 and says why; bad usage exits 2 naming the flag. Needs DATABASE_URL and PG_URL.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testTargets } from '@studio/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportArgs, progressLine } from '../src/cli/import';
import { KeyRing } from '../src/services/crypto';
import { createHarness, type Harness } from './support/harness';

const postgres = testTargets.find((target) => target.name === 'postgres');
const pgUrl = process.env.PG_URL;
if (process.env.CI === 'true' && !pgUrl) throw new Error('PG_URL not set: CI must provide PostgreSQL for the import CLI test');
const apiDir = fileURLToPath(new URL('..', import.meta.url));

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'ENCRYPTION_KEYS', 'CI']) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], { cwd: apiDir, env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('import CLI arguments and progress line', () => {
  it('parses the flags and names the one at fault', () => {
    expect(parseImportArgs(['--workspace', 'twsbp', '--project=orders', 'data.csv', '--mode', 'upsert', '--error-policy', 'skip', '--max-rejects', '5'])).toEqual({
      workspace: 'twsbp',
      project: 'orders',
      file: 'data.csv',
      mode: 'upsert',
      errorPolicy: 'skip',
      maxRejects: 5,
    });
    expect(() => parseImportArgs(['--workspace', 'twsbp', '--project', 'p', 'a.csv', '--mode', 'merge'])).toThrow(/--mode/);
    expect(() => parseImportArgs(['--workspace', 'twsbp', '--project', 'p'])).toThrow(/FILE/);
    expect(() => parseImportArgs(['--workspace', 'twsbp', '--project', 'p', 'a.csv', '--colour', 'red'])).toThrow(/unknown argument --colour/);
  });

  it('draws a bar by bytes read, with rows, speed and rejects', () => {
    expect(progressLine({ bytesRead: 512 * 1024, rowsWritten: 12_345, rowsRejected: 2, rowsPerSecond: 4_000, elapsedMs: 3_100 }, 1024 * 1024, 10)).toBe('[#####-----]  50% 0.5 MiB/1.0 MiB  12,345 rows  4,000 rows/s  2 rejected  3.1 s');
  });
});

describe.skipIf(!postgres || !pgUrl)('import CLI against PostgreSQL', () => {
  const keys = `1:${KeyRing.generateKey()}`;
  const schema = `cli_imp_${randomBytes(4).toString('hex')}`;
  let h: Harness;
  let env: Record<string, string>;
  let admin: pg.Pool;
  let dir: string;
  let slug: string;

  beforeAll(async () => {
    h = await createHarness(postgres!, { keyRing: KeyRing.parse(keys) });
    env = { DATABASE_URL: h.testDb.url!, ENCRYPTION_KEYS: keys };
    admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.items (id integer PRIMARY KEY, name text NOT NULL)`);
    dir = await mkdtemp(join(tmpdir(), 'import-cli-'));
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    slug = ws.slug;
    const api = h.caller(owner.principal);
    const u = new URL(pgUrl!);
    const connection = await api.connections.create({ workspaceId: ws.id, name: 'cli-target', type: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) });
    await api.projects.create({ workspaceId: ws.id, name: 'items', connectionId: connection.id });
    await api.projects.create({ workspaceId: ws.id, name: 'nowhere' });
  });

  afterAll(async () => {
    await h?.dispose();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports a file (exit 0), fails a bad one (exit 1), refuses a project without a connection (exit 1) and bad usage (exit 2)', async () => {
    const good = join(dir, 'items.csv');
    await writeFile(good, 'id,name\n1,one\n2,"two, too"\n');
    const ok = await runCli(['--workspace', slug, '--project', 'items', '--table', `${schema}.items`, good], env);
    expect(ok.stderr).toContain('100%');
    expect(ok.stdout).toContain('succeeded: 2 rows written, 0 rejected');
    expect(ok.code).toBe(0);
    expect((await admin.query(`SELECT id, name FROM ${schema}.items ORDER BY id`)).rows).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two, too' },
    ]);

    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'id,name\n3,three\nx,four\n');
    const failed = await runCli(['--workspace', slug, '--project', 'items', '--table', `${schema}.items`, bad], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('failed: 0 rows written, 1 rejected');
    expect(failed.stdout).toContain('rows_rejected');

    const refused = await runCli(['--workspace', slug, '--project', 'nowhere', '--table', `${schema}.items`, good], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('project_connection_missing');

    const usage = await runCli(['--workspace', slug, '--project', 'items', good, '--mode', 'merge'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--mode');
    const audit = (await h.auditRows()).filter((row) => row.action === 'import.start' && row.outcome === 'success');
    expect(audit.map((row) => row.actorUsername)).toEqual([expect.stringMatching(/^cli:/), expect.stringMatching(/^cli:/)]);
  });
});
