// A connection's other servers in the UI: a SQL Server connection with a failover partner and read
// intent, a PostgreSQL one with other hosts and "read-write only". The forms refuse bad entries
// next to their field, keep what was saved when edited, and the connection page shows what is
// configured and which server the open pool is on (the partner, after the primary went away).
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, type Stack } from './support';

const DB_USER = 'app';
const DB_PASSWORD = 'Servers-e2e-Passw0rd';

/** Screenshots in both themes, at 1280 and 390 px; the page must fit 390 px. */
async function shots(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `${name}-${scheme}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, `${name}-${scheme}-390`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} ${scheme} fits 390 px`).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function openNewConnection(page: Page): Promise<void> {
  await page.goto('/w/twsbp/connections/new');
  await heading(page, 'New connection');
  await page.locator('[data-testid="encryption-fields"][data-ready="true"]').waitFor();
}

const errorOf = (page: Page, field: string) => page.locator(`[id="${field}-error"]`);
const setting = (page: Page, name: string) => page.getByTestId(`settings-${name}`);

describe('failover partner, other hosts and read intent in the connection forms', () => {
  let stack: Stack;
  let primary: RunningEmulator;
  let partner: RunningEmulator;

  beforeAll(async () => {
    const server = { users: [{ user: DB_USER, password: DB_PASSWORD }], databases: ['appdb'], preload: true };
    [stack, primary, partner] = await Promise.all([startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'appdb' }), startEmulator(server), startEmulator(server)]);
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([primary?.close(), partner?.close()]);
  });

  it('a SQL Server connection with a failover partner: saved, shown, edited, and served by the partner once the primary is gone', async () => {
    const { page } = stack;
    await openNewConnection(page);
    await page.getByLabel('Name', { exact: true }).fill('Mirrored');
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(primary.port));
    await page.getByLabel('Database').fill('appdb');
    await page.getByLabel('User', { exact: true }).fill(DB_USER);
    await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
    await page.getByLabel('Encryption', { exact: true }).selectOption('off');
    expect(await page.getByTestId('server-fields').count()).toBe(1);
    // A partner that is not a host name is refused on save, next to its field.
    await page.getByLabel('Failover partner').fill(`not a host!:${partner.port}`);
    await page.getByLabel('Send read-only work to a readable secondary').check();
    await page.getByRole('button', { name: 'Create connection' }).click();
    await expect.poll(() => errorOf(page, 'options.failoverPartner').textContent()).toContain('must be a hostname or IP address');
    // What was typed stays (the password excepted).
    expect(await page.getByLabel('Failover partner').inputValue()).toBe(`not a host!:${partner.port}`);
    expect(await page.getByLabel('Send read-only work to a readable secondary').isChecked()).toBe(true);
    await shots(page, 'connection-servers-mssql-error');

    await page.getByLabel('Failover partner').fill(`127.0.0.1:${partner.port}`);
    await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading(page, 'Mirrored');
    expect(await setting(page, 'failover-partner').textContent()).toBe(`127.0.0.1:${partner.port}`);
    expect(await setting(page, 'read-intent').textContent()).toBe('On: schema browsing and read-only console runs log in with read-only intent, routed to a readable secondary');

    // Opening the pool: it is on the primary.
    await page.getByRole('button', { name: 'Reset pool' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset pool' }).click();
    await expect.poll(() => page.getByTestId('pool-server').textContent()).toBe(`127.0.0.1:${primary.port} primary`);

    // Edit: the form shows what is stored; naming the partner differently sends the password
    // somewhere new, so it is asked for again, next to its field.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await heading(page, 'Edit Mirrored');
    expect(await page.getByLabel('Failover partner').inputValue()).toBe(`127.0.0.1:${partner.port}`);
    expect(await page.getByLabel('Send read-only work to a readable secondary').isChecked()).toBe(true);
    await page.getByLabel('Failover partner').fill(`localhost:${partner.port}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => errorOf(page, 'password').textContent()).toBe('required when the connection target changes');
    await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await heading(page, 'Mirrored');
    expect(await setting(page, 'failover-partner').textContent()).toBe(`localhost:${partner.port}`);

    // The primary goes away; a fresh pool logs in on the partner, and the page says so.
    await primary.close();
    await page.getByRole('button', { name: 'Reset pool' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset pool' }).click();
    await expect.poll(() => page.getByTestId('pool-server').textContent(), { timeout: 30_000 }).toContain(`localhost:${partner.port} failover partner`);
    await shots(page, 'connection-servers-mssql-page');
  });

  it('a PostgreSQL connection with other hosts and read-write only: refused by line, then saved and shown', async () => {
    const { page } = stack;
    await openNewConnection(page);
    await page.getByLabel('Type').selectOption('postgres');
    await page.getByLabel('Standby servers').waitFor();
    expect(await page.getByLabel('Failover partner').count()).toBe(0);
    await page.getByLabel('Name', { exact: true }).fill('Replicated');
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('User', { exact: true }).fill('postgres');
    await page.getByLabel('Standby servers').fill('127.0.0.2\nnot a host!');
    await page.getByLabel('Server to use').selectOption('read-write');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await expect.poll(() => errorOf(page, 'options.alternateHosts').textContent()).toBe('Line 2: must be a hostname or IP address');
    expect(await page.getByLabel('Server to use').inputValue()).toBe('read-write');
    await shots(page, 'connection-servers-postgres-error');

    await page.getByLabel('Standby servers').fill('127.0.0.2\n127.0.0.3:5433');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading(page, 'Replicated');
    expect(await setting(page, 'alternate-hosts').getByRole('listitem').allTextContents()).toEqual(['127.0.0.2:5432', '127.0.0.3:5433']);
    expect(await setting(page, 'target-session').textContent()).toContain('Read-write server only');
    expect(await setting(page, 'failover-partner').count()).toBe(0);

    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await heading(page, 'Edit Replicated');
    expect(await page.getByLabel('Standby servers').inputValue()).toBe('127.0.0.2\n127.0.0.3:5433');
    expect(await page.getByLabel('Server to use').inputValue()).toBe('read-write');
    await shots(page, 'connection-servers-postgres-edit');
  });

  it("an environment's SQL Server connection takes a failover partner and read intent too", async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/settings/environments/new');
    await heading(page, 'New environment');
    await page.getByLabel('Name', { exact: true }).fill('Mirrored env');
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(stack.emulator.port));
    await page.getByLabel('Database').fill('appdb');
    await page.getByLabel('User', { exact: true }).fill(DB_USER);
    await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
    await page.getByLabel('Encryption', { exact: true }).selectOption('off');
    await page.getByLabel('Failover partner').fill(`127.0.0.1:${partner.port}`);
    await page.getByLabel('Send read-only work to a readable secondary').check();
    await shots(page, 'connection-servers-environment-form');
    await page.getByRole('button', { name: 'Test and save' }).click();
    await page.getByTestId('save-succeeded').waitFor();
    await page.goto('/w/twsbp/connections');
    await page.getByRole('link', { name: 'Mirrored env (environment)' }).click();
    await heading(page, 'Mirrored env (environment)');
    expect(await setting(page, 'failover-partner').textContent()).toBe(`127.0.0.1:${partner.port}`);
    expect(await setting(page, 'read-intent').textContent()).toContain('readable secondary');
  });
});
