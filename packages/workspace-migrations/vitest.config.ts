import { sharedVitestConfig } from '../../tooling/vitest.shared';

// Each file starts one emulator whose databases each need PGlite start-up (≈1-3 s of CPU). On the
// shared 2-core machine files run one after another; in parallel they only starve each other.
export default sharedVitestConfig({ hookTimeout: 240_000, testTimeout: 60_000, fileParallelism: false });
