// Shared lint config: every package runs `eslint .` from its own folder against this file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { fileURLToPath } from 'node:url';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**', '**/build/**', '**/.data/**', '**/node_modules/**', '**/.cache/**', '**/test-results/**', '**/public/build/**',
      // A deliberate import cycle: apps/api/test/lint-import-cycles.test.ts lints it with ignores off.
      '**/test/fixtures/import-cycle/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // An import cycle between files, within a package or across packages (they resolve to each
    // other's src through the workspace links), fails lint. `import type` is erased at build time
    // and cannot form a cycle at run time, so import-x does not follow it.
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts', '.cts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Folders in one direction only: REST serves the tRPC routers, so routers never import it.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: fileURLToPath(new URL('apps/api/src/routers', import.meta.url)),
              from: fileURLToPath(new URL('apps/api/src/rest', import.meta.url)),
              message: 'src/rest serves the routers; shared router pieces belong in src/routers (e.g. _outputs.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // The pool and the emulator were split along their seams once (decision 006); a file that
    // grows past 700 lines again is split before it lands.
    files: ['packages/mssql-pool/src/**/*.ts', 'packages/mssql-emulator/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 700 }] },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.test.ts', '**/test/**', '**/bench/**', '**/scripts/**', '**/src/cli.ts', '**/src/cli/**', '**/examples/**'],
    rules: { 'no-console': 'off' },
  },
);
