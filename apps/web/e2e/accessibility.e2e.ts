// Every main page in the light and the dark theme, checked by axe-core in Chromium: no serious or
// critical violation (WCAG A/AA contrast, labels, landmarks, names) is allowed. The theme is chosen
// with the top bar's toggle and must survive a reload (a cookie, rendered by the server), and
// "system" follows prefers-color-scheme. Screenshots of each page in each theme at 1280 and 390 px
// go to test-results/accessibility/ (not committed) for people to look at.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { connections } from '@studio/db/schema';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_ROOT } from '../server/index';
import { ADMIN_PASSWORD, signIn, startStack, type Stack } from './support';

const DB_USER = 'axe';
const DB_PASSWORD = 'Axe-e2e-Passw0rd';
const SHOTS = join(WEB_ROOT, 'test-results', 'accessibility');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe-core in the page (evaluated over CDP, so the page's Content-Security-Policy does not apply). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(n.target)}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`));
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function backgroundOf(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}

describe('accessibility of every page in both themes', () => {
  let stack: Stack;
  let pages: { name: string; path: string; ready: string }[];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'axedb' });
    const { services } = stack.app;
    const workspace = await services.workspaces.find({ workspaceSlug: 'twsbp' });
    const plan = await services.environments.prepareSave(workspace!.id, null, {
      name: 'Production',
      connection: { host: '127.0.0.1', port: stack.emulator.port, database: 'axedb', user: DB_USER, password: DB_PASSWORD },
    });
    await services.environments.commitSave(plan, null, null);
    const [connection] = await services.db.select({ id: connections.id }).from(connections);
    const procedure = await services.sqlEditor.create(workspace!.id, { name: 'Greet', sqlDraft: 'CREATE PROCEDURE dbo.Greet @name NVARCHAR(40)\nAS\nSELECT N\'Hello, \' + @name AS greeting' }, null);
    const w = '/w/twsbp';
    // `ready`: a selector that is only there once the page has finished drawing what it loads.
    pages = [
      { name: 'overview', path: w, ready: 'h1' },
      { name: 'connections', path: `${w}/connections`, ready: 'h1' },
      { name: 'connection', path: `${w}/connections/${connection!.id}`, ready: 'h1' },
      { name: 'connection-new', path: `${w}/connections/new`, ready: 'h1' },
      { name: 'console', path: `${w}/console/${connection!.id}`, ready: '.cm-content' },
      { name: 'schema', path: `${w}/connections/${connection!.id}/schema`, ready: '.schema-tree' },
      { name: 'sql', path: `${w}/sql`, ready: 'h1' },
      { name: 'procedure', path: `${w}/sql/${procedure.id}`, ready: '[data-testid="sql-editor"][data-ready="true"]' },
      { name: 'environments', path: `${w}/settings/environments`, ready: 'h1' },
      { name: 'access', path: `${w}/settings/access`, ready: 'h1' },
      { name: 'audit', path: `${w}/settings/audit`, ready: 'h1' },
      { name: 'tokens', path: `${w}/settings/tokens`, ready: 'h1' },
      { name: 'migrations', path: `${w}/settings/migrations`, ready: 'h1' },
      { name: 'people', path: '/people', ready: 'h1' },
      { name: 'account', path: '/account', ready: 'h1' },
      { name: 'backups', path: '/backups', ready: 'h1' },
    ];
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('the sign-in page follows the system theme and passes axe in both', async () => {
    const { page } = stack;
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto('/sign-in');
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      expect(await backgroundOf(page)).toBe(scheme === 'dark' ? 'rgb(15, 20, 26)' : 'rgb(246, 247, 249)');
      expect(await seriousViolations(page), `sign-in (${scheme})`).toEqual([]);
      await shoot(page, `sign-in-${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('the toggle chooses a theme that the server renders after a reload, and "system" follows the system again', async () => {
    const { page } = stack;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    const toggle = page.getByRole('group', { name: 'Colour theme' });
    expect(await toggle.getByRole('button', { name: 'Theme of the system' }).getAttribute('aria-pressed')).toBe('true');
    await toggle.getByRole('button', { name: 'Dark theme' }).click();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await expect.poll(() => backgroundOf(page)).toBe('rgb(15, 20, 26)');
    // The server renders the chosen theme: the HTML as sent already says dark.
    const html = await (await page.request.get(page.url())).text();
    expect(html).toMatch(/<html lang="en" data-theme="dark"/);
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await toggle.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');

    await toggle.getByRole('button', { name: 'Theme of the system' }).click();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('system');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await backgroundOf(page)).toBe('rgb(15, 20, 26)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await backgroundOf(page)).toBe('rgb(246, 247, 249)');
  });

  it('derives the workspace slug from the name as it is typed, and the switcher fits at 390 px', async () => {
    const { page } = stack;
    await page.goto('/workspaces/new');
    await page.getByLabel('Name', { exact: true }).pressSequentially('Ünïcode Sales & Operations — Europe, Middle East and Africa');
    expect(await page.getByLabel('Slug').inputValue()).toBe('unicode-sales-operations-europe-middle-east-and-africa');
    // Once the person edits the slug, the name no longer overwrites it.
    await page.getByLabel('Slug').fill('emea-sales');
    await page.getByLabel('Name', { exact: true }).fill('EMEA Sales and Operations with a very long workspace name');
    expect(await page.getByLabel('Slug').inputValue()).toBe('emea-sales');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(/\/w\/emea-sales$/);

    await page.setViewportSize({ width: 390, height: 844 });
    // A short name keeps the switcher beside the brand, a long one wraps it to its own line: both fit.
    for (const slug of ['twsbp', 'emea-sales']) {
      await page.goto(`/w/${slug}`);
      const switcher = page.locator('.switcher summary');
      await switcher.click();
      const menu = page.getByRole('list', { name: 'Your workspaces' });
      await menu.waitFor();
      for (const box of [await switcher.boundingBox(), await menu.boundingBox()]) {
        expect(box, slug).not.toBeNull();
        expect(box!.x, slug).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, slug).toBeLessThanOrEqual(390);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth), slug).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, `switcher-open-${slug}-390.png`) });
      await page.keyboard.press('Escape');
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`every main page passes axe in the ${theme} theme`, async () => {
      const { page } = stack;
      await page.goto('/w/twsbp');
      await page.getByRole('group', { name: 'Colour theme' }).getByRole('button', { name: theme === 'dark' ? 'Dark theme' : 'Light theme' }).click();
      await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
      const found: string[] = [];
      for (const target of pages) {
        await page.goto(target.path);
        await page.locator(target.ready).first().waitFor();
        expect(await page.locator('html').getAttribute('data-theme')).toBe(theme);
        found.push(...(await seriousViolations(page)).map((v) => `${target.name}: ${v}`));
        await shoot(page, `${target.name}-${theme}`);
      }
      expect(found).toEqual([]);
    });
  }
});
