// CSV imports in a real browser: create a project on a PostgreSQL connection from the Imports page,
// pick a file (the preview shows its first rows), import it with two bad rows in skip mode, watch
// the progress bar reach the end, find the run in the history and download the rejected rows.
// Needs PG_URL (the machine's PostgreSQL). Screenshots go to test-artifacts/.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, type Stack } from './support';

const pgUrl = process.env.PG_URL;
if (!pgUrl && process.env.CI === 'true') throw new Error('PG_URL not set: CI must provide PostgreSQL for the imports journey');

describe.runIf(pgUrl)('imports journey', () => {
  let stack: Stack;
  let sql: (text: string) => Promise<void>;
  const schema = `e2e_imp_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: 'imports', emulatorPassword: 'Imports-e2e-Passw0rd', database: 'importsdb' });
    const ws = await stack.app.services.workspaces.find({ workspaceSlug: 'twsbp' });
    const u = new URL(pgUrl!);
    // The connection is a fixture here; the connections journey makes one from the UI.
    const connection = await stack.app.services.connections.create(
      ws!.id,
      { name: 'Warehouse', type: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}), options: {} },
      null,
    );
    // The target table is made through the console service with writes allowed for a moment.
    const consoleService = stack.app.services.console;
    await consoleService.setAccess(ws!.id, connection.id, 'read-write');
    sql = async (text) => {
      const running = consoleService.runs.start({ id: crypto.randomUUID(), workspaceId: ws!.id, connectionId: connection.id, owner: 'setup' });
      await consoleService.run(await consoleService.targetOf(ws!.id, connection.id), { sql: text, parameters: [], mode: 'read-write' }, { rowLimit: 10, timeoutMs: 10_000 }, running);
      running.finish();
    };
    await sql(`CREATE SCHEMA ${schema}`);
    await sql(`CREATE TABLE ${schema}.customers (id integer PRIMARY KEY, name varchar(40) NOT NULL, joined date)`);
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await sql?.(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await stack?.close();
  });

  it('creates a project, imports a file with two bad rows (skip), and downloads the rejects', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp');
    await page.getByRole('link', { name: 'Imports', exact: true }).click();
    await heading(page, 'Imports');
    const form = page.getByRole('form', { name: 'Create an import project' });
    await form.getByLabel('Name', { exact: true }).fill('Customers');
    await form.getByLabel('Connection').selectOption({ label: 'Warehouse (postgres)' });
    await form.getByRole('button', { name: 'Create project' }).click();
    await heading(page, 'Customers');

    const rows = Array.from({ length: 5_000 }, (_, i) => (i === 99 ? '100,,2024-01-01' : i === 4_000 ? '4001,Late,2024-02-30' : `${i + 1},"Customer, ${i + 1}",2024-01-${String((i % 28) + 1).padStart(2, '0')}`));
    const file = Buffer.from(`id,name,joined\r\n${rows.join('\r\n')}\r\n`);
    const panel = page.getByRole('form', { name: 'Import a CSV file' });
    await panel.getByLabel('CSV file').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: file });
    const preview = page.getByTestId('import-preview');
    await preview.getByRole('cell', { name: 'Customer, 1', exact: true }).waitFor();
    await panel.getByLabel('Table').fill(`${schema}.customers`);
    await panel.getByLabel('Bad rows').selectOption('skip');
    await panel.getByRole('button', { name: 'Import', exact: true }).click();

    const progress = page.getByTestId('import-progress');
    await progress.getByText('succeeded').waitFor();
    expect(await progress.getByRole('progressbar', { name: 'Import progress' }).getAttribute('value')).toBe('1');
    expect(await progress.textContent()).toContain('4,998 rows, 2 rejected');
    await screenshot(page, 'imports-done');

    const history = page.locator('tr[data-import]');
    await history.first().waitFor();
    expect(await history.count()).toBe(1);
    expect(await history.textContent()).toContain('customers.csv');
    expect(await history.textContent()).toContain('4,998 written, 2 rejected');
    const [download] = await Promise.all([page.waitForEvent('download'), progress.getByRole('link', { name: 'Download rejected rows' }).click()]);
    expect(download.suggestedFilename()).toBe('customers.rejects.csv');
    const text = await readFile((await download.path())!, 'utf8');
    expect(text.split('\r\n').filter(Boolean)).toEqual([
      'row,line,column,reason,value,id,name,joined',
      '100,101,name,NULL in a NOT NULL column,,100,,2024-01-01',
      '4001,4002,joined,not a valid calendar date,2024-02-30,4001,Late,2024-02-30',
    ]);
  });
});
