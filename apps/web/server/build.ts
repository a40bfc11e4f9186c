// `pnpm start` builds the web app when the build is missing or older than its sources, so a
// newcomer never has to know a build step exists.
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class WebBuildError extends Error {
  readonly code = 'web_build_failed';
  constructor(readonly exitCode: number | null) {
    super(`Building the web UI failed (remix vite:build exited with ${exitCode ?? 'a signal'})`);
    this.name = 'WebBuildError';
  }
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestMtime(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** Whether build/ is missing or older than app/, vite.config.ts or package.json. */
export async function buildIsStale(webRoot: string): Promise<boolean> {
  const built = await stat(join(webRoot, 'build', 'server', 'index.js')).catch(() => null);
  if (!built) return true;
  const sources = await Promise.all(['app', 'vite.config.ts', 'package.json'].map((p) => newestMtime(join(webRoot, p))));
  return Math.max(...sources) > built.mtimeMs;
}

export async function ensureBuilt(webRoot: string, log: (line: string) => void): Promise<void> {
  if (!(await buildIsStale(webRoot))) return;
  log('building the web UI (remix vite:build)…');
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(join(webRoot, 'node_modules', '.bin', 'remix'), ['vite:build', '--logLevel', 'warn'], { cwd: webRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (exitCode !== 0) throw new WebBuildError(exitCode);
}
