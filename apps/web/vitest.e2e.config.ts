import { sharedVitestConfig } from '../../tooling/vitest.shared';

// The browser suite: the built app on a free port, a temporary PGlite, the TDS emulator, Chromium.
export default sharedVitestConfig({ include: ['e2e/**/*.e2e.ts'], testTimeout: 120_000, hookTimeout: 300_000, fileParallelism: false });
