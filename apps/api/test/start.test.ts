import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the real entry point the README's `pnpm start` runs, on the embedded defaults
// (no DATABASE_URL), in a temporary data folder.
const apiDir = join(import.meta.dirname, '..');
const dataDirs: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHealthy(url: string, deadlineMs: number): Promise<Response> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return response;
      last = `status ${response.status}`;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`never healthy: ${String(last)}`);
}

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('pnpm start on the embedded defaults', () => {
  it('serves /healthz, seeds once, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-start-'));
    dataDirs.push(dataDir);

    const runOnce = async () => {
      const port = await freePort();
      const env = { ...process.env, DATABASE_URL: '', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development', DEMO_MSSQL_PORT: '0' };
      delete (env as Record<string, string | undefined>).DATABASE_URL;
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: apiDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const response = await waitForHealthy(`http://127.0.0.1:${port}/healthz`, 45_000);
        expect(await response.json()).toMatchObject({ status: 'ok' });
      } finally {
        child.kill('SIGTERM');
      }
      const code = await exited;
      return { code, stdout, stderr };
    };

    const first = await runOnce();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/admin/);
    const credentials = await readFile(join(dataDir, 'initial-credentials.txt'), 'utf8');
    expect(credentials).toMatch(/admin/);

    // Second start on the same data folder: data persisted, nothing re-created, no new passwords printed.
    const second = await runOnce();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/password/i);
  }, 120_000);
});
