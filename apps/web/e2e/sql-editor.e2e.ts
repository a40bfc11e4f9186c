// Issue 8 in a real browser: the admin writes a procedure in the SQL editor, publishes it and sees
// SQL Server's error at its line (a lint diagnostic), fixes it, publishes, runs it with a parameter
// and reads the result grid, messages and output; then cancels a long run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, fillEnvironmentForm, heading, screenshot, signIn, startStack, type Stack } from './support';

const DB_USER = 'editor';
const DB_PASSWORD = 'Editor-e2e-Passw0rd';

const BROKEN = `CREATE PROCEDURE dbo.Greet
  @name NVARCHAR(40),
  @greeting NVARCHAR(80) OUTPUT
AS
BEGIN
  PRINT 'greeting someone';
  SET @greeting = N'Hello, ' + @name;
  SELECT @greeting AS greeting, LEN(@name) AS letters
  SELEC 2
END`;

describe('SQL editor journey', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'editordb' });
    const { page, emulator } = stack;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/w/twsbp/settings/environments/new');
    await heading(page, 'New environment');
    await fillEnvironmentForm(page, { name: 'Production', port: emulator.port, database: 'editordb', user: DB_USER, password: DB_PASSWORD });
    await page.getByRole('button', { name: 'Test and save' }).click();
    await page.getByTestId('save-succeeded').waitFor();
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function replaceText(text: string) {
    const { page } = stack;
    const content = page.locator('.cm-content');
    await content.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  it('shows the syntax error at its line, publishes the fix and runs it with a parameter', async () => {
    const { page } = stack;
    await page.getByRole('link', { name: 'SQL editor' }).click();
    await page.waitForURL(/\/w\/twsbp\/sql$/);
    await heading(page, 'SQL editor');
    await page.getByLabel('Name', { exact: true }).fill('Greet');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/w\/twsbp\/sql\/[0-9a-f-]{36}$/);
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();

    // Keyword completion of the SQL Server dialect.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nWAITF');
    const completion = page.locator('.cm-tooltip-autocomplete');
    await completion.waitFor();
    expect(await completion.textContent()).toContain('WAITFOR');
    await page.keyboard.press('Escape');

    await replaceText(BROKEN);
    // Autosave settles.
    await expect.poll(() => page.locator('[data-save-state]').getAttribute('data-save-state'), { timeout: 15_000 }).toBe('saved');

    await page.getByRole('button', { name: 'Publish' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain("Line 9: Incorrect syntax near 'SELEC'.");
    expect(await alert.textContent()).toContain('SQL Server error 102');
    // The diagnostic sits on line 9 of the editor.
    const marked = page.locator('.cm-lint-marker-error');
    await marked.first().waitFor();
    const gutterLines = await page.locator('.cm-gutter.cm-lineNumbers .cm-gutterElement').allTextContents();
    const markerBox = await marked.first().boundingBox();
    const lineNineBox = await page.locator('.cm-gutter.cm-lineNumbers .cm-gutterElement', { hasText: /^9$/ }).boundingBox();
    expect(gutterLines).toContain('9');
    expect(Math.abs((markerBox?.y ?? 0) - (lineNineBox?.y ?? -100))).toBeLessThan(5);
    await screenshot(page, 'sql-01-publish-error');

    await replaceText(BROKEN.replace('  SELEC 2\n', ''));
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
    await page.getByText('Published', { exact: true }).first().waitFor();

    await page.getByLabel(/@name/).fill('Ada');
    await page.getByRole('button', { name: 'Run on Production', exact: true }).click();
    const results = page.getByRole('region', { name: 'Results' });
    await results.waitFor();
    expect(await results.getByRole('grid').first().textContent()).toContain('Hello, Ada');
    expect(await results.getByLabel('Messages').textContent()).toContain('greeting someone');
    expect(await results.getByLabel('Output parameters').textContent()).toContain('Hello, Ada');
    expect(await results.textContent()).toMatch(/Completed\s*in [\d.]+ ms/);
    await screenshot(page, 'sql-02-run-results');

    await page.getByRole('tab', { name: 'Diff' }).click();
    expect(await page.getByText('The draft is what is published.').count()).toBe(1);
  });

  it('cancels a long run', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/sql');
    await heading(page, 'SQL editor');
    await page.getByLabel('Name', { exact: true }).fill('Slow');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/w\/twsbp\/sql\/[0-9a-f-]{36}$/);
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    await replaceText("CREATE PROCEDURE dbo.Slow AS\nBEGIN\n  WAITFOR DELAY '00:01:00';\n  SELECT 1 AS never;\nEND");
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('button', { name: 'Run on Production', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    const results = page.getByRole('region', { name: 'Results' });
    await results.waitFor({ timeout: 15_000 });
    expect(await results.textContent()).toContain('Cancelled');
  });
});
