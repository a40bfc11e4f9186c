// `pnpm lint` refuses import cycles and imports from src/rest into src/routers. The fixture folder
// holds a real two-file cycle that the shared config ignores everywhere but here.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const apiRoot = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/import-cycle/a.ts', import.meta.url));
const router = fileURLToPath(new URL('../src/routers/health.ts', import.meta.url));

const ruleIds = (results: ESLint.LintResult[]) => results.flatMap((r) => r.messages.map((m) => m.ruleId));

describe('lint', () => {
  const eslint = new ESLint({ cwd: apiRoot, ignore: false });

  it('fails on an import cycle', async () => {
    const results = await eslint.lintFiles([fixture]);
    expect(ruleIds(results)).toContain('import-x/no-cycle');
  }, 60_000);

  it('passes the same file once the cycle is gone', async () => {
    const withoutCycle = (await readFile(fixture, 'utf8')).replace("import { b } from './b';", "const b = 'b';");
    const results = await eslint.lintText(withoutCycle, { filePath: fixture });
    expect(ruleIds(results)).not.toContain('import-x/no-cycle');
  }, 60_000);

  it('refuses an import from src/rest in src/routers', async () => {
    const text = `${await readFile(router, 'utf8')}\nexport { collectRestRoutes } from '../rest/routes';\n`;
    const results = await eslint.lintText(text, { filePath: router });
    expect(ruleIds(results)).toContain('import-x/no-restricted-paths');
  }, 60_000);
});
