// "Today's code" beside the working tree's in one run: BENCH_BASELINE=<git ref> (e.g. main) puts
// the apps/api/src of the commit where this branch left that ref (their merge base) in a temporary folder whose node_modules is this package's, and the
// bench server loads the app from there (BENCH_SRC). Only apps/api/src differs between the two
// servers; the other packages, the database and the bench itself are the working tree's.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface CodeVariant {
  /** `working tree`, or the ref and its short hash. */
  label: string;
  /** The folder holding `src/` for BENCH_SRC; undefined = this package's own. */
  src: string | undefined;
  dispose(): Promise<void>;
}

export const workingTree: CodeVariant = { label: 'working tree', src: undefined, dispose: async () => undefined };

export async function baselineOf(ref: string): Promise<CodeVariant> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: PACKAGE_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  // The commit this branch left `ref` at: its other packages are the working tree's (a ref that
  // moved on since may need packages the working tree does not have yet).
  const commit = git('rev-parse', '--short', git('merge-base', 'HEAD', ref));
  const prefix = git('rev-parse', '--show-prefix');
  const dir = await mkdtemp(join(tmpdir(), `studio-bench-${commit}-`));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    // src/ and package.json (the API reads its version from it), laid out as apps/api is.
    const archive = execFileSync('git', ['archive', commit, `${prefix}src`, `${prefix}package.json`], { cwd: git('rev-parse', '--show-toplevel'), maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir, `--strip-components=${prefix.split('/').filter(Boolean).length}`], { input: archive });
    await symlink(join(PACKAGE_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (error) {
    await dispose();
    throw error;
  }
  return { label: `${ref}@${commit}`, src: dir, dispose };
}

/** The variants a benchmark compares: BENCH_BASELINE's commit first when set, then the working tree. */
export async function codeVariants(baseline: string | undefined): Promise<CodeVariant[]> {
  return baseline ? [await baselineOf(baseline), workingTree] : [workingTree];
}
