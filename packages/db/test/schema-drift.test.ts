import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir } from '../src/migrator';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('committed migrations', () => {
  it('match the drizzle schema: drizzle-kit generate finds nothing to add', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'studio-drift-'));
    try {
      await cp(defaultMigrationsDir, out, { recursive: true });
      const before = await readdir(out);
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          path.join(packageDir, 'node_modules', '.bin', 'drizzle-kit'),
          ['generate', '--dialect', 'postgresql', '--schema', './src/schema/index.ts', '--out', path.relative(packageDir, out), '--name', 'drift'],
          { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`drizzle-kit exited ${code}: ${text}`))));
      });
      expect(await readdir(out), output).toEqual(before);
      expect(output).toContain('No schema changes');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
