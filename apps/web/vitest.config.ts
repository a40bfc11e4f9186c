import { sharedVitestConfig } from '../../tooling/vitest.shared';

export default sharedVitestConfig({ include: ['app/**/*.test.ts', 'test/**/*.test.ts'] });
