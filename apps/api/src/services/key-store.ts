// Where the credential key ring comes from: ENCRYPTION_KEYS, or in development a key generated
// once into DATA_DIR so a laptop needs no setup (production refuses to start without the variable).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { KeyRing } from './crypto';

export const DEV_KEY_FILE = 'encryption-keys';

export async function loadKeyRing(options: {
  encryptionKeys: string | undefined;
  nodeEnv: 'development' | 'test' | 'production';
  dataDir: string;
  logger: Logger;
}): Promise<KeyRing> {
  if (options.encryptionKeys !== undefined) return KeyRing.parse(options.encryptionKeys);
  if (options.nodeEnv === 'production') {
    // env.ts already refuses this; kept so a caller bypassing loadEnv cannot end up keyless.
    throw new TypeError('ENCRYPTION_KEYS is required when NODE_ENV=production');
  }
  const file = join(options.dataDir, DEV_KEY_FILE);
  let spec: string;
  try {
    spec = (await readFile(file, 'utf8')).trim();
    options.logger.warn({ file }, 'ENCRYPTION_KEYS is not set: using the development key file for stored credentials');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    spec = `1:${KeyRing.generateKey()}`;
    await mkdir(options.dataDir, { recursive: true });
    await writeFile(file, `${spec}\n`, { mode: 0o600, flag: 'wx' }).catch(async (writeError: unknown) => {
      // Another process created it first: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      spec = (await readFile(file, 'utf8')).trim();
    });
    await chmod(file, 0o600);
    options.logger.warn(
      { file },
      'ENCRYPTION_KEYS is not set: generated a development key for stored credentials. ' +
        'Losing this file makes every saved connection credential unreadable; set ENCRYPTION_KEYS in production.',
    );
  }
  return KeyRing.parse(spec);
}
