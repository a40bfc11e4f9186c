// Issue 16 in a real browser, one stack for the file: edits survive a navigation right after typing
// and a conflict offers a choice; the editor's keys; confirmations. Screenshots go to test-artifacts/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, fillEnvironmentForm, heading, screenshot, signIn, startStack, USER_PASSWORD, type Stack } from './support';

const DB_USER = 'behaviour';
const DB_PASSWORD = 'Behaviour-e2e-Passw0rd';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'behaviourdb' });
  const { page, emulator } = stack;
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/w/twsbp/settings/environments/new');
  await heading(page, 'New environment');
  await fillEnvironmentForm(page, { name: 'Production', port: emulator.port, database: 'behaviourdb', user: DB_USER, password: DB_PASSWORD });
  await page.getByRole('button', { name: 'Test and save' }).click();
  await page.getByTestId('save-succeeded').waitFor();
});

afterAll(async () => {
  await stack?.close();
});

async function createProcedure(page: Page, name: string): Promise<string> {
  await page.goto('/w/twsbp/sql');
  await heading(page, 'SQL editor');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/w\/twsbp\/sql\/[0-9a-f-]{36}$/);
  await editorReady(page);
  return new URL(page.url()).pathname;
}

async function editorReady(page: Page): Promise<void> {
  await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
}

function editorText(page: Page): Promise<string> {
  return page.locator('.cm-content').innerText();
}

function saveState(page: Page): Promise<string | null> {
  return page.locator('[data-save-state]').getAttribute('data-save-state');
}

async function typeAtEnd(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

/** Failed requests the page made (a save posted to the wrong route answers 404/405). */
function failedRequests(page: Page): string[] {
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return failed;
}

describe('1. never lose an edit', () => {
  it('saves what was typed 200 ms before clicking a link, to the procedure’s own action', async () => {
    const { page } = stack;
    const path = await createProcedure(page, 'LinkRace');
    const failed = failedRequests(page);
    await typeAtEnd(page, '\n-- typed just before leaving');
    await page.waitForTimeout(200);
    await page.getByRole('link', { name: 'Connections' }).click();
    await heading(page, 'Connections');
    await page.goto(path);
    await editorReady(page);
    expect(await editorText(page)).toContain('-- typed just before leaving');
    expect(failed).toEqual([]);
  });

  it('saves what was typed 200 ms before the page is left for another address', async () => {
    const { page } = stack;
    const path = await createProcedure(page, 'UnloadRace');
    const failed = failedRequests(page);
    await typeAtEnd(page, '\n-- typed just before unloading');
    await page.waitForTimeout(200);
    await page.goto('/w/twsbp/connections');
    await heading(page, 'Connections');
    await page.goto(path);
    await editorReady(page);
    await expect.poll(() => editorText(page)).toContain('-- typed just before unloading');
    expect(failed).toEqual([]);
  });

  it('on a conflict offers the difference, take theirs and keep mine; leaving then asks first', async () => {
    const { page, browser } = stack;
    const path = await createProcedure(page, 'Contested');
    const other = await browser.newPage();
    try {
      await other.goto(path);
      await editorReady(other);
      await typeAtEnd(other, '\n-- their line');
      await expect.poll(() => saveState(other), { timeout: 15_000 }).toBe('saved');

      await typeAtEnd(page, '\n-- my line');
      await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe('conflict');
      expect(await page.locator('.sql-save-state').textContent()).toContain('changed this draft elsewhere');
      // My text is still in the editor.
      expect(await editorText(page)).toContain('-- my line');

      await page.getByRole('button', { name: 'View the difference' }).click();
      const dialog = page.getByRole('dialog', { name: 'Their version → yours' });
      await dialog.waitFor();
      expect((await dialog.locator('.diff-del').allTextContents()).join('\n')).toContain('-- their line');
      expect((await dialog.locator('.diff-add').allTextContents()).join('\n')).toContain('-- my line');
      await screenshot(page, 'editor-conflict-diff');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });

      // Leaving with text that could not be saved asks, and Cancel stays.
      await page.getByRole('link', { name: 'Connections' }).click();
      const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
      await leave.waitFor();
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      await page.keyboard.press('Enter');
      await leave.waitFor({ state: 'hidden' });
      expect(new URL(page.url()).pathname).toBe(path);

      await page.getByRole('button', { name: 'Take theirs' }).click();
      expect(await editorText(page)).toContain('-- their line');
      expect(await editorText(page)).not.toContain('-- my line');
      expect(await saveState(page)).toBe('saved');

      // Another conflict, and this time mine wins (the other tab's newer version is replaced).
      await typeAtEnd(other, '\n-- their second line');
      await expect.poll(() => saveState(other), { timeout: 15_000 }).toBe('saved');
      await typeAtEnd(page, '\n-- mine wins');
      await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe('conflict');
      await page.getByRole('button', { name: 'Keep mine' }).click();
      await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe('saved');
      await other.reload();
      await editorReady(other);
      const after = await editorText(other);
      expect(after).toContain('-- mine wins');
      expect(after).not.toContain('-- their second line');
    } finally {
      await other.close();
    }
  });
});

describe('2. editor keys', () => {
  async function replaceText(page: Page, text: string) {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  it('runs with Ctrl+Enter and F5, saves with Ctrl+S, and lists the keys', async () => {
    const { page } = stack;
    await createProcedure(page, 'Keys');
    await replaceText(page, 'CREATE OR ALTER PROCEDURE dbo.Keys AS\nBEGIN\n  SELECT 42 AS answer;\nEND');
    // Ctrl+S saves at once (no autosave delay, no "Save page" dialog).
    const saved = page.waitForRequest((request) => request.method() === 'POST' && (request.postData() ?? '').includes('intent=save'), { timeout: 500 });
    await page.keyboard.press('Control+s');
    await saved;
    await expect.poll(() => saveState(page)).toBe('saved');

    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
    await page.evaluate(() => Object.assign(window, { stillThisPage: true }));

    const lines = await page.locator('.cm-line').count();
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Enter');
    const results = page.getByRole('region', { name: 'Results' });
    await results.waitFor();
    expect(await results.getByRole('grid').first().textContent()).toContain('42');
    // Ctrl+Enter ran instead of inserting a line.
    expect(await page.locator('.cm-line').count()).toBe(lines);

    const second = page.waitForRequest((request) => request.method() === 'POST' && (request.postData() ?? '').includes('intent=execute'));
    await page.locator('.cm-content').click();
    await page.keyboard.press('F5');
    await second;
    expect(await page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage)).toBe(true);

    await page.getByText('Keyboard shortcuts').click();
    const panel = page.getByRole('group', { name: 'Keyboard shortcuts' });
    await panel.waitFor();
    const listed = await panel.textContent();
    for (const key of ['Ctrl/⌘ + Enter, F5', 'Ctrl/⌘ + S', 'Shift + Alt + F', 'Ctrl/⌘ + /', 'Esc, then Tab']) expect(listed).toContain(key);
    await screenshot(page, 'editor-shortcuts');
    await page.getByText('Keyboard shortcuts').click();
  });

  it('indents with Tab, leaves with Escape then Tab, comments with Ctrl+/ and formats with Shift+Alt+F', async () => {
    const { page } = stack;
    await createProcedure(page, 'Formatting');
    await replaceText(page, 'select a,b from dbo.t where x=1');
    await page.keyboard.press('Home');
    await page.keyboard.press('Tab');
    expect(await editorText(page)).toMatch(/^\s{2,}select a,b/);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(true);

    await page.keyboard.press('Control+/');
    expect(await editorText(page)).toMatch(/^\s*-- select a,b/);
    await page.keyboard.press('Control+/');
    expect(await editorText(page)).not.toContain('--');

    await page.keyboard.press('Shift+Alt+F');
    await expect.poll(() => editorText(page)).toBe('SELECT\n  a,\n  b\nFROM\n  dbo.t\nWHERE\n  x = 1');

    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('.cm-editor') === null)).toBe(true);
    // The text is as it was: Tab after Escape moved focus instead of indenting.
    expect(await editorText(page)).toMatch(/^SELECT/);
  });
});

describe('8. confirm what cannot be undone', () => {
  it('asks before Rollback 1, saying what it drops; Cancel (the default) keeps the version', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/settings/migrations');
    await heading(page, 'Migrations');
    const version = async () => (await page.locator('dl').first().textContent()) ?? '';
    const before = await version();
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') requests.push(request.postData() ?? '');
    });

    await page.getByRole('button', { name: 'Rollback 1', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /^Roll back V\d+ on Production\?$/ });
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/tables and their data are deleted/);
    await screenshot(page, 'migrations-rollback-confirm');
    // Keyboard: focus starts on Cancel, so Enter (or Escape) does nothing harmful.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Rollback 1', exact: true }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(requests.filter((body) => body.includes('intent=rollback'))).toEqual([]);
    expect(await version()).toBe(before);

    await page.getByRole('button', { name: 'Rollback 1', exact: true }).click();
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 20_000 }).toMatch(/roll/i);
    expect(requests.filter((body) => body.includes('intent=rollback'))).toHaveLength(1);
  });

  it('asks before revoking a token, and says when it is an Owner token', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/settings/tokens');
    await heading(page, 'API tokens');
    await page.getByLabel('Name', { exact: true }).fill('owner-automation');
    await page.getByLabel('Role').selectOption('Owner');
    await page.getByRole('button', { name: 'Create token' }).click();
    const row = page.locator('tr[data-token="owner-automation"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Revoke owner-automation' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “owner-automation”?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('lose Owner access to this whole workspace');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await row.textContent()).not.toContain('Revoked');
    await row.getByRole('button', { name: 'Revoke owner-automation' }).click();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => row.textContent()).toContain('Revoked');
  });
});

describe('7. browsing is not rate-limited like an API client', () => {
  const pages = [
    ['/w/twsbp', 'Overview'],
    ['/w/twsbp/connections', 'Connections'],
    ['/w/twsbp/sql', 'SQL editor'],
    ['/w/twsbp/settings/environments', 'Environments'],
    ['/w/twsbp/settings/migrations', 'Migrations'],
    ['/w/twsbp/settings/audit', 'Audit log'],
  ] as const;

  // Each view reads at least two lists (the switcher's and the page's): the API's `list` budget
  // of 60 a minute refused the 30th view or so. Sidebar clicks, as a person browses.
  it('serves 60 page views in a row without a 429', async () => {
    const { page } = stack;
    const refused: string[] = [];
    const onResponse = (response: { status(): number; url(): string }) => {
      if (response.status() === 429) refused.push(response.url());
    };
    page.on('response', onResponse);
    await page.goto(pages[0][0]);
    await heading(page, pages[0][1]);
    for (let i = 1; i <= 60; i++) {
      const [, title] = pages[i % pages.length]!;
      await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: title, exact: true }).click();
      await heading(page, title);
    }
    page.off('response', onResponse);
    expect(refused).toEqual([]);
  });

  it('shows a 429 inside the layout, with the time to wait', async () => {
    const { page, app } = stack;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await signIn(page, 'user', USER_PASSWORD);
    try {
      const userId = await page.evaluate(() => (window as unknown as { __remixRouter: { state: { loaderData: Record<string, { user: { id: string } }> } } }).__remixRouter.state.loaderData['routes/w.$slug']!.user.id);
      // A runaway script in this person's browser spends the UI's whole budget.
      const limit = app.services.rateLimits.limits.webRead.points;
      for (let i = 0; i < limit; i++) await app.services.rateLimits.consume('webRead', { kind: 'user', id: userId }).catch(() => undefined);
      await page.goto('/w/twsbp/connections');
      await heading(page, 'Too many requests');
      expect(await page.locator('main').textContent()).toMatch(/Try again in \d+ s/);
      // The shell is still there: navigation and the workspace switcher.
      expect(await page.getByRole('navigation', { name: 'Workspace' }).count()).toBe(1);
      await screenshot(page, 'rate-limited-in-layout');
    } finally {
      await page.context().clearCookies();
      await signIn(page, 'admin', ADMIN_PASSWORD);
    }
  });
});

describe('6. timeouts and bad parameters are answers', () => {
  async function publish(page: Page, name: string, text: string) {
    await createProcedure(page, name);
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
  }

  it('stops a 20 s run at a 5 s timeout with query_timeout naming the limit', async () => {
    const { page } = stack;
    await publish(page, 'TwentySeconds', "CREATE PROCEDURE dbo.TwentySeconds AS\nBEGIN\n  WAITFOR DELAY '00:00:20';\n  SELECT 1 AS late;\nEND");
    await page.getByLabel('Timeout (seconds)').fill('5');
    await page.getByRole('button', { name: 'Run on Production', exact: true }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('The query did not finish within 5000 ms and was stopped');
    expect(await alert.textContent()).toContain('query_timeout');
    expect(await alert.textContent()).not.toContain('Internal server error');
    await screenshot(page, 'editor-query-timeout');
  });

  it('refuses an out-of-range INT before sending it, naming the parameter', async () => {
    const { page } = stack;
    await publish(page, 'TakesInt', 'CREATE PROCEDURE dbo.TakesInt @n INT AS\nBEGIN\n  SELECT @n AS n;\nEND');
    await page.getByLabel(/@n/).fill('99999999999');
    await page.getByRole('button', { name: 'Run on Production', exact: true }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('parameters.n: expected an integer in -2147483648..2147483647 for int');
    expect(await alert.textContent()).toContain('(parameters.n)');
  });
});

describe('3. a diff that can be read', () => {
  it('shows an added long line inside the viewport, unified and side by side, refreshed after saving', async () => {
    const { page } = stack;
    await createProcedure(page, 'Diffed');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Published to Production' }).count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('tab', { name: 'Diff' }).click();
    await page.getByText('The draft is what is published.').waitFor();

    const added = `-- ${'a long added comment '.repeat(12)}end`;
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText(`\n${added}`);
    await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe('saved');
    // No reload: the diff follows the save.
    const line = page.locator('.diff-add', { hasText: 'a long added comment' });
    await line.waitFor();
    const viewport = page.viewportSize()!;
    for (const mode of ['Unified', 'Side by side']) {
      await page.getByLabel(mode).check();
      const box = await line.first().boundingBox();
      expect(box, mode).not.toBeNull();
      expect(box!.x, mode).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, mode).toBeLessThanOrEqual(viewport.width);
      expect(await line.first().textContent()).toContain('end');
      await screenshot(page, `editor-diff-${mode === 'Unified' ? 'unified' : 'split'}`);
    }
  });
});
