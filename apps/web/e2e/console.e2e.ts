// The query console in a real browser: from the workspace navigation to a connection's console,
// run a SELECT and read the grid, sort it, export it as CSV (streamed by the server), find the run
// in the history and run it again. Screenshots at desktop and phone width go to test-artifacts/.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, type Stack } from './support';

const DB_USER = 'console';
const DB_PASSWORD = 'Console-e2e-Passw0rd';

describe('console journey', () => {
  let stack: Stack;
  let connectionId: string;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'consoledb' });
    const { page, emulator, app } = stack;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    // The connection itself is made from the UI by the connections journey; here it is a fixture,
    // and its table is made through the console service with writes allowed for a moment.
    const ws = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
    const created = await app.services.connections.create(ws!.id, { name: 'Orders DB', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'consoledb', user: DB_USER, password: DB_PASSWORD, options: {} }, null);
    connectionId = created.id;
    const consoleService = app.services.console;
    await consoleService.setAccess(ws!.id, connectionId, 'read-write');
    const running = consoleService.runs.start({ id: crypto.randomUUID(), workspaceId: ws!.id, connectionId, owner: 'setup' });
    await consoleService.run(
      await consoleService.targetOf(ws!.id, connectionId),
      { sql: "CREATE TABLE dbo.orders (id INT, customer NVARCHAR(40), total DECIMAL(9,2)); INSERT INTO dbo.orders VALUES (1, N'Ada', 12.50), (2, N'Grace', 99.00), (3, N'Linus', 7.25)", parameters: [], mode: 'read-write' },
      { rowLimit: 10, timeoutMs: 10_000 },
      running,
    );
    running.finish();
    await consoleService.setAccess(ws!.id, connectionId, 'read-only');
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function replaceText(text: string) {
    const { page } = stack;
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  it('runs a SELECT, exports CSV, finds it in the history and runs it again', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp');
    await page.getByRole('link', { name: 'Console', exact: true }).click();
    await heading(page, 'Console');
    await page.getByRole('link', { name: 'Orders DB' }).click();
    await heading(page, 'Console · Orders DB');
    await replaceText("SELECT id, customer, total FROM dbo.orders WHERE total > @p1 ORDER BY id");
    await page.getByLabel('@p1', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const grid = page.getByRole('region', { name: 'Result set 1' });
    await grid.waitFor();
    await expect.poll(() => grid.getByRole('gridcell').allTextContents()).toEqual(['1', '1', 'Ada', '12.50', '2', '2', 'Grace', '99.00', '3', '3', 'Linus', '7.25']);

    // Sort by total, descending (two clicks).
    await grid.getByRole('button', { name: /^total/ }).click();
    await grid.getByRole('button', { name: /^total/ }).click();
    await expect.poll(async () => (await grid.getByRole('row').nth(1).getByRole('gridcell').allTextContents()).slice(1)).toEqual(['2', 'Grace', '99.00']);
    await screenshot(page, 'console-desktop');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^Orders_DB-.*\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv).toBe('id,customer,total\r\n1,Ada,12.50\r\n2,Grace,99.00\r\n3,Linus,7.25\r\n');

    const history = page.getByRole('list', { name: 'Query history' });
    await page.reload();
    await heading(page, 'Console · Orders DB');
    await expect.poll(() => history.textContent()).toContain('SELECT id, customer, total FROM dbo.orders');
    expect(await history.textContent()).toContain('success · 3 rows');

    await history.getByRole('link', { name: /^Run again/ }).first().click();
    await page.getByLabel('@p1', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Result set 1' }).getByRole('gridcell').allTextContents()).toEqual(['1', '2', 'Grace', '99.00']);

    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'console-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('runs with Ctrl+Enter from the editor, closing the suggestion list, exports what it shows; each side-panel form answers in its own card', async () => {
    const { page } = stack;
    await page.goto(`/w/twsbp/console/${connectionId}`);
    await heading(page, 'Console · Orders DB');
    await replaceText('SELECT id FROM dbo.orders ORDER BY id');
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < 'SELECT id'.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.type(', custom');
    await page.locator('.cm-tooltip-autocomplete').waitFor();
    await page.keyboard.type('er');
    await page.keyboard.press('Control+Enter');
    const grid = page.getByRole('region', { name: 'Result set 1' });
    await expect.poll(() => grid.getByRole('gridcell').allTextContents()).toEqual(['1', '1', 'Ada', '2', '2', 'Grace', '3', '3', 'Linus']);
    expect(await page.locator('.cm-tooltip-autocomplete').count()).toBe(0);

    // Export is of the result on screen, even after the editor has moved on to other text.
    await replaceText('SELECT 1 AS other');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(await readFile((await download.path())!, 'utf8')).toBe('id,customer\r\n1,Ada\r\n2,Grace\r\n3,Linus\r\n');

    // Opening a history entry replaces the text as one change of its own: Ctrl+Z brings back what was typed.
    await replaceText('SELECT 42 AS mine');
    await page.getByRole('list', { name: 'Query history' }).getByRole('link', { name: 'Open' }).first().click();
    await page.waitForURL(/history=/);
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT id, customer FROM dbo.orders ORDER BY id');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT 42 AS mine');

    // A name with no spaces breaks inside the side panel instead of widening the page.
    const name = `Customers_${'x'.repeat(150)}`;
    await page.getByLabel('Saved query name').fill(name);
    await page.getByRole('button', { name: 'Save current' }).click();
    await page.getByRole('list', { name: 'Saved queries' }).getByText(name).waitFor();
    // Cleared once saved, so the next save does not reuse the name.
    await expect.poll(() => page.getByLabel('Saved query name').inputValue()).toBe('');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Setting console access answers in its own card, not under Saved queries.
    const accessCard = page.locator('section.card', { has: page.getByRole('heading', { name: 'Console access' }) });
    await accessCard.getByLabel('Console access').selectOption('read-only');
    await accessCard.getByRole('button', { name: 'Set' }).click();
    await expect.poll(() => accessCard.getByRole('status').textContent()).toBe('Console access is now read-only');
    const savedCard = page.locator('section.card', { has: page.getByRole('heading', { name: 'Saved queries' }) });
    expect(await savedCard.getByRole('status').textContent()).toBe(`Saved as '${name}'`);
  });

  it('moves through the grid and expands a cell from the keyboard', async () => {
    const { page } = stack;
    await page.goto(`/w/twsbp/console/${connectionId}`);
    await heading(page, 'Console · Orders DB');
    await replaceText('SELECT id, customer FROM dbo.orders ORDER BY id');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const grid = page.getByRole('grid', { name: 'Result set 1' });
    await expect.poll(() => grid.getByRole('gridcell').allTextContents()).toEqual(['1', '1', 'Ada', '2', '2', 'Grace', '3', '3', 'Linus']);
    // One tab stop in the grid (roving tabindex), on the first value.
    expect(await grid.locator('[role="gridcell"][tabindex="0"]').allTextContents()).toEqual(['1']);
    await grid.locator('[role="gridcell"][tabindex="0"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Grace');
    await page.keyboard.press('Enter');
    const value = page.getByRole('region', { name: 'Cell value' });
    await expect.poll(() => value.textContent()).toContain('customer, row 2');
    expect(await value.locator('pre').textContent()).toBe('Grace');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Space');
    expect(await value.locator('pre').textContent()).toBe('Linus');
    await page.keyboard.press('Escape');
    await expect.poll(() => value.count()).toBe(0);
  });

  it('explains why read-write is not open only when asked, and to a screen reader as the Mode picker\'s description', async () => {
    const { page } = stack;
    await page.goto(`/w/twsbp/console/${connectionId}`);
    await heading(page, 'Console · Orders DB');
    // Console access is read-only here: read-write is a disabled choice whose reason is the Mode
    // picker's description, shown on the page only when asked for.
    const mode = page.getByLabel('Mode');
    expect(await mode.locator('option[value="read-write"]').evaluate((o) => [(o as HTMLOptionElement).disabled, o.textContent])).toEqual([true, 'Read-write (not allowed)']);
    const reason = page.getByTestId('denial-reason');
    expect(await mode.getAttribute('aria-describedby')).toBe(await reason.getAttribute('id'));
    expect(await reason.textContent()).toContain('read-write console access');
    // What is on screen is the box it sits in: 1 px and clipped until asked for.
    const shownBox = reason.locator('xpath=..');
    expect((await shownBox.boundingBox())!.width).toBeLessThanOrEqual(1);
    await page.getByRole('button', { name: 'Why not read-write?' }).click();
    expect((await shownBox.boundingBox())!.width).toBeGreaterThan(100);
    expect(await page.getByRole('button', { name: 'Why not read-write?' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('says plainly that a cancelled run was cancelled, and when the server stopped it', async () => {
    const { page, app } = stack;
    await page.goto(`/w/twsbp/console/${connectionId}`);
    await heading(page, 'Console · Orders DB');
    await replaceText("WAITFOR DELAY '00:01:00'");
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => app.services.console.runs.size).toBe(1);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('section.card', { has: page.getByRole('heading', { name: 'Cancelled' }) }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Cancelled' }).textContent()).toMatch(/^Cancelled: stopped on the server after [\d.]+ ms · read-only · rolled back \(read-only\)$/);
  });

  it('keeps a 100-character connection name with no spaces inside the page, on a phone and in tables', async () => {
    const { page, app, emulator } = stack;
    const ws = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
    const name = `Orders${'x'.repeat(94)}`;
    const created = await app.services.connections.create(ws!.id, { name, type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'consoledb', user: DB_USER, password: DB_PASSWORD, options: {} }, null);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const path of [`/w/twsbp/console/${created.id}`, `/w/twsbp/connections/${created.id}`]) {
        await page.goto(path);
        await page.getByRole('heading', { level: 1 }).waitFor();
        expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    // At desktop width the name breaks in its cell instead of pushing Type and Database out of the card.
    for (const path of ['/w/twsbp/console', '/w/twsbp/connections']) {
      await page.goto(path);
      await page.getByRole('link', { name }).waitFor();
      expect(await page.locator('table').evaluate((t) => t.scrollWidth <= t.parentElement!.clientWidth), path).toBe(true);
    }
  });
});
