// Issue 16 item 4 in a real browser: Publish and Run name their environment and the admin picks
// another; "published" is listed per environment (who, when, hash, whether the editor holds it);
// Run warns when the editor's text is not what runs there; an environment whose server went away
// is named with its host in the error.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, fillEnvironmentForm, heading, screenshot, signIn, startStack, type Stack } from './support';

const DB_USER = 'deployer';
const DB_PASSWORD = 'Deployer-e2e-Passw0rd';
const version = (n: number) => `CREATE OR ALTER PROCEDURE dbo.Versioned\nAS\nBEGIN\n  SELECT ${n} AS version;\nEND\n`;

describe('SQL editor environments', () => {
  let stack: Stack;
  let staging: RunningEmulator | undefined;

  async function addEnvironment(name: string, port: number, database: string) {
    const { page } = stack;
    await page.goto('/w/twsbp/settings/environments/new');
    await heading(page, 'New environment');
    await fillEnvironmentForm(page, { name, port, database, user: DB_USER, password: DB_PASSWORD });
    await page.getByRole('button', { name: 'Test and save' }).click();
    await page.getByTestId('save-succeeded').waitFor();
  }

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'envdb' });
    staging = await startEmulator({ users: [{ user: DB_USER, password: DB_PASSWORD }], databases: ['stagingdb'], preload: true });
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
    await addEnvironment('Production', stack.emulator.port, 'envdb');
    await addEnvironment('Staging', staging.port, 'stagingdb');
  });

  afterAll(async () => {
    await staging?.close();
    await stack?.close();
  });

  const deploymentOf = (name: string) => stack.page.getByRole('list', { name: 'Published per environment' }).locator(`li[data-environment="${name}"]`);
  const runWarning = () => stack.page.getByRole('status').filter({ hasText: /differs from what runs on|has no recorded publish/ });

  async function replaceText(text: string) {
    const { page } = stack;
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  /** Runs on `environment` and waits for its result grid to show `version` (row 1). */
  async function runShows(environment: string, version: number) {
    const { page } = stack;
    const results = page.getByRole('region', { name: 'Results' });
    // An earlier run on the same environment stays on screen until this one answers: wait for a new outcome.
    const before = (await results.count()) > 0 ? await results.textContent() : null;
    await page.getByRole('button', { name: `Run on ${environment}`, exact: true }).click();
    await expect.poll(async () => ((await results.count()) > 0 ? results.textContent() : null), { timeout: 15_000 }).not.toBe(before);
    expect(await results.getByRole('grid').first().textContent()).toBe(`#version int1${version}`);
  }

  it('publishes to the environment it names, lists each one, and warns before running text that is not deployed', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/sql');
    await heading(page, 'SQL editor');
    await page.getByLabel('Name', { exact: true }).fill('Versioned');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/w\/twsbp\/sql\/[0-9a-f-]{36}$/);
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    await replaceText(version(1));
    await expect.poll(() => page.locator('[data-save-state]').getAttribute('data-save-state'), { timeout: 15_000 }).toBe('saved');

    // The default environment is the one acted on; the picker offers the other.
    const picker = page.getByLabel('Environment', { exact: true });
    expect(await picker.inputValue()).not.toBe('');
    expect(await picker.locator('option:checked').textContent()).toBe('Production (default)');
    expect(await deploymentOf('Production').textContent()).toContain('Not published');
    expect(await deploymentOf('Staging').textContent()).toContain('Not published');

    await page.getByRole('button', { name: 'Publish to Production' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => deploymentOf('Production').textContent()).toMatch(/Matches the editor\s*Published .+ by admin · [0-9a-f]{12}/);
    expect(await deploymentOf('Staging').textContent()).toContain('Not published');
    expect(await runWarning().count()).toBe(0);
    await runShows('Production', 1);

    // Staging: nothing there yet, and Run says so before it is pressed.
    await picker.selectOption({ label: 'Staging' });
    await page.waitForURL(/\?environment=[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Publish to Staging' }).waitFor();
    await expect.poll(() => runWarning().textContent()).toContain('Staging has no recorded publish of this procedure');
    await page.getByRole('button', { name: 'Publish to Staging' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Staging' }).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => deploymentOf('Staging').textContent()).toContain('Matches the editor');
    await expect.poll(() => runWarning().count()).toBe(0);

    // Typing makes the editor differ from both at once (before the autosave), and after it.
    await replaceText(version(2));
    await expect.poll(() => runWarning().textContent()).toContain("The editor's text differs from what runs on Staging");
    await expect.poll(() => page.locator('[data-save-state]').getAttribute('data-save-state'), { timeout: 15_000 }).toBe('saved');
    expect(await runWarning().textContent()).toContain('Publish first to run your changes');
    expect(await deploymentOf('Production').textContent()).toContain('Differs from the editor');
    expect(await deploymentOf('Staging').textContent()).toContain('Differs from the editor');
    await screenshot(page, 'sql-env-01-unpublished-warning');

    // Version 2 goes to Staging only: each environment runs its own text.
    await page.getByRole('button', { name: 'Publish to Staging' }).click();
    await expect.poll(() => deploymentOf('Staging').textContent(), { timeout: 15_000 }).toContain('Matches the editor');
    expect(await deploymentOf('Production').textContent()).toContain('Differs from the editor');
    await expect.poll(() => runWarning().count()).toBe(0);
    await runShows('Staging', 2);

    await picker.selectOption({ label: 'Production (default)' });
    await page.getByRole('button', { name: 'Run on Production' }).waitFor();
    await expect.poll(() => runWarning().textContent()).toContain("The editor's text differs from what runs on Production");
    await runShows('Production', 1);
    await screenshot(page, 'sql-env-02-production-differs');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'sql-env-03-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("names an unreachable environment and its host in Run's error", async () => {
    const { page } = stack;
    await staging?.close();
    staging = undefined;
    await page.getByLabel('Environment', { exact: true }).selectOption({ label: 'Staging' });
    await page.getByRole('button', { name: 'Run on Staging' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Run on Staging', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Staging (127.0.0.1) is unavailable' });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/Staging \(127\.0\.0\.1\) is unavailable: [a-z ]+; retry in \d+ s/);
    await screenshot(page, 'sql-env-04-unreachable');
  });
});
