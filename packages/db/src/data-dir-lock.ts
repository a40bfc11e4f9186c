import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseConnectionError } from './errors';

/**
 * PGlite is a single-process database: two processes opening the same data
 * folder corrupt it. A pid file makes the second one fail with a clear
 * message instead (connectWithRetry retries, so a short CLI run just waits).
 */
export interface DataDirLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'pglite.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const token = String(process.pid);
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      await writeFile(file, token, { flag: 'wx' });
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const owner = await readFile(file, 'utf8').catch(() => undefined);
          if (owner === token) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      const who = owner === process.pid ? 'this process (another open database)' : `process ${owner}`;
      throw new DatabaseConnectionError(
        'data_dir_in_use',
        path.join(dataDir, 'pglite'),
        `the embedded database at ${path.join(dataDir, 'pglite')} is in use by ${who}; ` +
          'PGlite allows one process at a time: stop it, or set DATABASE_URL to use a PostgreSQL server',
      );
    }
    // The owner died without cleaning up: the lock is stale.
    await unlink(file).catch(() => undefined);
  }
  throw new DatabaseConnectionError('data_dir_in_use', path.join(dataDir, 'pglite'), `cannot lock ${file}`);
}
