// The one check of the running Node.js, imported first by the entry points (`pnpm start`, the API
// alone, every vitest config). pnpm's engine-strict refuses `pnpm <script>` on an older Node too;
// this catches the direct runs (`npx vitest`, `tsx src/main.ts`) before a dependency fails deep
// inside, e.g. tedious 20 calling Promise.withResolvers, which Node 20 lacks.

/** Mirrors `engines.node` in the root package.json (a test keeps them equal). */
export const SUPPORTED_NODE = '^22.12.0 || >=24';

/** Node.js 22 from 22.12 (require of ES modules without a flag), or 24 and newer. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 22 && minor >= 12) || major >= 24;
}

if (!isSupportedNode(process.versions.node)) {
  process.stderr.write(
    `Workspace Studio needs Node.js 24 (LTS) or 22.12 and newer (${SUPPORTED_NODE}); this is Node.js ${process.versions.node}.\n`,
  );
  process.exit(1);
}
