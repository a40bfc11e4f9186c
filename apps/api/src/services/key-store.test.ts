import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('refuses to invent a key in production', async () => {
    await expect(loadKeyRing({ encryptionKeys: undefined, nodeEnv: 'production', dataDir: '/tmp', logger })).rejects.toThrow(/ENCRYPTION_KEYS/);
  });
});
