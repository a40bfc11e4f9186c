// Connections of every type and the schema browser in a real browser: the admin creates a
// PostgreSQL connection from the UI (type picker defaults, Test with its steps), browses to a
// table and its columns, inserts a table query from the tree, and completes a column and a
// qualified table name in the SQL editor from the live schema; then does the same in the query
// console, runs the completed query, exports the result as CSV, finds the run in the history and
// runs it again: the whole console journey of a new user on a PostgreSQL connection. Needs PG_URL (the machine's server);
// the test makes a database of its own there with psql and drops it afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, type Stack } from './support';

const pgUrl = process.env.PG_URL;
const inCi = process.env.CI === 'true';
const database = `studio_e2e_schema_${randomBytes(4).toString('hex')}`;

function psql(url: string, sql: string): void {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { stdio: 'pipe' });
}

function urlOf(name: string): string {
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('connections and the schema browser', () => {
  if (!pgUrl) {
    // Locally without PG_URL there is no PostgreSQL to browse; CI always has one.
    it.runIf(inCi)('needs PG_URL in CI', () => {
      expect.fail('PG_URL is not set; CI must provide a PostgreSQL server');
    });
    return;
  }
  let stack: Stack;

  beforeAll(async () => {
    psql(pgUrl, `CREATE DATABASE ${database}`);
    psql(urlOf(database), `CREATE TABLE orders (id serial PRIMARY KEY, customer varchar(80) NOT NULL, total numeric(10,2) DEFAULT 0);
      CREATE INDEX orders_customer ON orders (customer);
      INSERT INTO orders (customer, total) VALUES ('ann', 1), ('bob', 2); ANALYZE orders;`);
    stack = await startStack({ emulatorUser: 'browser', emulatorPassword: 'Browser-e2e-Passw0rd', database: 'browserdb' });
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
  });

  /** Enter on the open popup. CodeMirror ignores keys for its `interactionDelay` (75 ms) after the popup opens. */
  async function acceptCompletion() {
    await stack.page.waitForTimeout(150);
    await stack.page.keyboard.press('Enter');
  }

  afterAll(async () => {
    await stack?.close();
    psql(pgUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('creates a PostgreSQL connection from the UI, browses to a table and completes a column', async () => {
    const { page } = stack;
    const url = new URL(pgUrl);
    await page.getByRole('link', { name: 'Connections' }).first().click();
    await heading(page, 'Connections');
    expect(await page.getByRole('link', { name: 'REST API reference' }).getAttribute('href')).toBe('/api/docs');
    await page.getByRole('link', { name: 'New connection' }).click();
    await heading(page, 'New connection');
    await expect.poll(() => page.getByLabel('Port').inputValue()).toBe('1433');
    await page.getByLabel('Type').selectOption('postgres');
    // The type's defaults replace the previous type's.
    expect(await page.getByLabel('Port').inputValue()).toBe('5432');
    expect(await page.getByLabel('Database').inputValue()).toBe('postgres');
    expect(await page.getByLabel('Encryption', { exact: true }).inputValue()).toBe('disable');
    await page.getByLabel('Name', { exact: true }).fill('Orders (PostgreSQL)');
    await page.getByLabel('Host').fill(url.hostname);
    await page.getByLabel('Port').fill(url.port || '5432');
    await page.getByLabel('Database').fill(database);
    await page.getByLabel('User', { exact: true }).fill(decodeURIComponent(url.username));
    if (url.password) await page.getByLabel('Password').fill(decodeURIComponent(url.password));
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByRole('list', { name: 'Connection test steps' }).waitFor();
    expect(await page.locator('[data-step="login"]').getAttribute('data-state')).toBe('ok');
    // What was typed survives the test; the password is typed again (it is never echoed back).
    expect(await page.getByLabel('Database').inputValue()).toBe(database);
    if (url.password) await page.getByLabel('Password').fill(decodeURIComponent(url.password));
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'connection-new-390');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'connection-new');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading(page, 'Orders (PostgreSQL)');

    await page.getByRole('link', { name: 'Browse schema' }).click();
    await heading(page, 'Schema of Orders (PostgreSQL)');
    const table = page.locator('[data-schema="public"] [data-table="orders"]');
    await table.locator('summary').first().click();
    const columns = page.getByRole('list', { name: 'Columns of orders' });
    await expect.poll(() => columns.locator('[data-column]').evaluateAll((items) => items.map((i) => i.getAttribute('data-column')))).toEqual(['id', 'customer', 'total']);
    expect(await columns.locator('[data-column="customer"]').innerText()).toContain('character varying(80) not null');
    expect(await columns.locator('[data-column="id"]').innerText()).toContain('PK');

    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    await table.getByRole('button', { name: 'SELECT … LIMIT 100' }).click();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT * FROM public.orders LIMIT 100;');

    // A column of the table in scope, through its alias.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('SELECT o.cu');
    await page.keyboard.press('End');
    await page.keyboard.type(' FROM orders o');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT o.cu'.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete').getByText('customer', { exact: true }).waitFor();
    await acceptCompletion();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT o.customer FROM orders o');

    // A qualified table name stays a name: `public.ord` + Enter is `public.orders`, never ORDER.
    await page.keyboard.press('End');
    await page.keyboard.type(' JOIN public.ord');
    await page.locator('.cm-tooltip-autocomplete').getByText('orders', { exact: true }).waitFor();
    await acceptCompletion();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT o.customer FROM orders o JOIN public.orders');
    await screenshot(page, 'schema-browser');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'schema-browser-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The text goes to this connection's console, not run.
    await page.getByRole('link', { name: 'Open in console' }).click();
    await heading(page, 'Console · Orders (PostgreSQL)');
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT o.customer FROM orders o JOIN public.orders');
    expect(await page.getByRole('region', { name: 'Result set 1' }).count()).toBe(0);

    // A cancelled run says so, and its void column is named.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('SELECT pg_sleep(60)');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => stack.app.services.console.runs.size).toBe(1);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('section.card', { has: page.getByRole('heading', { name: 'Cancelled' }) }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Cancelled' }).textContent()).toMatch(/^Cancelled: stopped on the server after [\d.]+ ms · read-only · rolled back \(read-only\)$/);
    expect(await page.getByRole('columnheader', { name: /^pg_sleep/ }).textContent()).toBe('pg_sleep void');
    await screenshot(page, 'console-cancelled');
  });

  it('browses the schema, completes a column in the console, runs it, exports CSV and re-runs it from the history', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/connections');
    await page.getByRole('link', { name: 'Orders (PostgreSQL)' }).click();
    await heading(page, 'Orders (PostgreSQL)');
    const connectionId = page.url().split('/').pop()!;
    await page.goto(`/w/twsbp/console/${connectionId}`);
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    const table = page.locator('[data-schema="public"] [data-table="orders"]');
    await table.locator('summary').first().click();
    await table.getByRole('button', { name: 'SELECT … LIMIT 100' }).click();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT * FROM public.orders LIMIT 100;');

    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('SELECT o.cu');
    await page.keyboard.type(' FROM orders o ORDER BY 1');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT o.cu'.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete').getByText('customer', { exact: true }).waitFor();
    await acceptCompletion();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT o.customer FROM orders o ORDER BY 1');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Result set 1' }).getByRole('gridcell').allTextContents()).toEqual(['1', 'ann', '2', 'bob']);
    await screenshot(page, 'console-schema');

    // The result as a CSV file, streamed by the server.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^Orders_PostgreSQL_-\d{4}-\d{2}-\d{2}-\d{6}\.csv$/);
    expect(await readFile((await download.path())!, 'utf8')).toBe('customer\r\nann\r\nbob\r\n');

    // The run is in the history after a reload, and runs again from there.
    await page.reload();
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    const history = page.getByRole('list', { name: 'Query history' });
    await expect.poll(() => history.textContent()).toContain('SELECT o.customer FROM orders o ORDER BY 1');
    expect(await history.textContent()).toContain('success · 2 rows');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await history.getByRole('link', { name: /^Run again/ }).first().click();
    await expect.poll(() => page.locator('.cm-content').innerText()).toBe('SELECT o.customer FROM orders o ORDER BY 1');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Result set 1' }).getByRole('gridcell').allTextContents()).toEqual(['1', 'ann', '2', 'bob']);
  });

  it('shows what uses a connection before deleting it, then deletes it', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/connections');
    await heading(page, 'Connections');
    await page.getByRole('link', { name: 'Orders (PostgreSQL)' }).click();
    await heading(page, 'Orders (PostgreSQL)');
    await page.getByRole('link', { name: 'Delete…' }).click();
    await heading(page, 'Delete Orders (PostgreSQL)?');
    expect(await page.getByTestId('connection-references').innerText()).toContain('Nothing in this workspace uses it');
    await screenshot(page, 'connection-delete');
    await page.getByRole('button', { name: 'Delete connection' }).click();
    await heading(page, 'Connections');
    expect(await page.locator('[data-connection="Orders (PostgreSQL)"]').count()).toBe(0);
  });
});
