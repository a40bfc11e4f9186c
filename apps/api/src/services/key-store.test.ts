import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { KeyRing } from './crypto';
import { DEV_KEY_FILE, loadKeyRing } from './key-store';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadKeyRing', () => {
  const logger = createLogger('silent');

  it('uses ENCRYPTION_KEYS when set', async () => {
    const key = KeyRing.generateKey();
    const ring = await loadKeyRing({ encryptionKeys: `3:${key}`, nodeEnv: 'production', dataDir: '/nonexistent', logger });
    expect(ring.currentVersion).toBe(3);
  });

  it('generates a development key once (mode 0600) and reuses it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-keys-'));
    dirs.push(dataDir);
    const first = await loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'development', dataDir, logger });
    const sealed = first.encrypt('secret', 'ctx');
    const file = join(dataDir, DEV_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^1:[A-Za-z0-9+/=]+\n$/);
    const second = await loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'development', dataDir, logger });
    expect(second.decrypt(sealed.ciphertext, 'ctx')).toBe('secret');
  });

  it('warns at every start without ENCRYPTION_KEYS, naming the key file and never printing the key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'studio-keys-'));
    dirs.push(dataDir);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const warnLogger = createLogger('warn', sink);
    await loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'development', dataDir, logger: warnLogger });
    await loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'development', dataDir, logger: warnLogger });
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; file: string });
    expect(warnings).toHaveLength(2);
    expect(warnings.every((w) => w.level === 40 && w.file === join(dataDir, DEV_KEY_FILE))).toBe(true);
    expect(warnings[0]?.msg).toMatch(/generated a development key.*set ENCRYPTION_KEYS in production/);
    expect(warnings[1]?.msg).toMatch(/ENCRYPTION_KEYS is not set: using the development key file/);
    const key = (await readFile(join(dataDir, DEV_KEY_FILE), 'utf8')).trim().split(':')[1] as string;
    expect(lines.join('')).not.toContain(key);
  });

  it('refuses to invent a key in production', async () => {
    await expect(loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'production', dataDir: '/tmp', logger })).rejects.toThrow(/ENCRYPTION_KEYS/);
  });
});
