import './node-version';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const setupFile = fileURLToPath(new URL('./vitest.setup.ts', import.meta.url));
const globalSetupFile = fileURLToPath(new URL('./vitest.global-setup.ts', import.meta.url));

/** The one vitest configuration every package starts from. */
export function sharedVitestConfig(overrides: ViteUserConfig['test'] = {}) {
  return defineConfig({
    test: {
      setupFiles: [setupFile],
      globalSetup: [globalSetupFile],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      ...overrides,
    },
  });
}
