// Encryption in the UI: the connection form offers the type's modes and marks a choice that
// leaves the password open with a warning badge; a CA is pasted in; the connection page's TLS
// panel shows what was negotiated (protocol, certificate expiry), never what was only asked for,
// first from the last test, then from the open pool. Against an emulator whose certificate a
// throwaway CA signed for 127.0.0.1.
import { generateTlsCredentials, startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, type Stack } from './support';

const DB_USER = 'app';
const DB_PASSWORD = 'Tls-Panel-Passw0rd';
const CONNECTION = 'Encrypted';

const panel = (page: Page) => page.getByTestId('tls-panel');

/** Screenshots in both themes, at 1280 and 390 px. */
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

describe('encryption in the connection form and the TLS panel', () => {
  let stack: Stack;
  let secured: RunningEmulator;
  let ca: string;

  beforeAll(async () => {
    const credentials = await generateTlsCredentials({ hostNames: ['127.0.0.1'] });
    ca = credentials.ca;
    [stack, secured] = await Promise.all([
      startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'appdb' }),
      startEmulator({ users: [{ user: DB_USER, password: DB_PASSWORD }], databases: ['appdb'], preload: true, tls: credentials }),
    ]);
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await stack?.close();
    await secured?.close();
  });

  it("offers each type's modes, with a warning badge on any choice that leaves the password open", async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/connections/new');
    await heading(page, 'New connection');
    await page.locator('[data-testid="encryption-fields"][data-ready="true"]').waitFor();
    const encryption = page.getByLabel('Encryption', { exact: true });
    const modes = () => encryption.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(await modes()).toEqual(['required', 'strict', 'off']);
    expect(await encryption.inputValue()).toBe('required');
    expect(await page.getByTestId('encryption-warning').count()).toBe(0);

    await page.getByLabel('Trust server certificate').check();
    expect(await page.getByTestId('encryption-warning').textContent()).toContain('Certificate not checked');
    await page.getByLabel('Trust server certificate').uncheck();
    await encryption.selectOption('off');
    expect(await page.getByTestId('encryption-warning').textContent()).toBe('Not encrypted Nothing is encrypted, not even the login and its password.');
    expect(await page.getByLabel('CA certificate (PEM)').count()).toBe(0);
    await shots(page, 'connection-tls-off-warning');

    await page.getByLabel('Type').selectOption('postgres');
    await expect.poll(modes).toEqual(['verify-full', 'verify-ca', 'require', 'disable']);
    await encryption.selectOption('require');
    expect(await page.getByTestId('encryption-warning').textContent()).toContain('Certificate not checked');
    await page.getByLabel('Type').selectOption('mssql');
    await expect.poll(modes).toEqual(['required', 'strict', 'off']);
  });

  it('saves a SQL Server connection with its CA; the TLS panel shows the negotiated protocol and the certificate expiry', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/connections/new');
    await heading(page, 'New connection');
    await page.getByLabel('Name', { exact: true }).fill(CONNECTION);
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(secured.port));
    await page.getByLabel('Database').fill('appdb');
    await page.getByLabel('User', { exact: true }).fill(DB_USER);
    await page.getByLabel('Password').fill(DB_PASSWORD);
    await page.getByLabel('Encryption', { exact: true }).selectOption('required');
    // A CA that is not one is refused on save, next to its field.
    await page.getByLabel('CA certificate (PEM)').fill('not a certificate');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await expect.poll(() => page.locator('#options\\.ca-error').textContent()).toContain('must be a PEM certificate');
    await page.getByLabel('Password').fill(DB_PASSWORD);
    await page.getByLabel('CA certificate (PEM)').fill(ca);
    await shots(page, 'connection-tls-form');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading(page, CONNECTION);

    // Asked for is not negotiated: before any test, the panel says nothing was negotiated.
    expect(await panel(page).textContent()).toContain('Asked for: Required');
    expect(await page.getByTestId('tls-negotiated').textContent()).toContain('Nothing negotiated yet');

    await page.getByRole('button', { name: 'Test connection' }).click();
    const run = page.getByTestId('test-run');
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 20_000 }).toBe('passed');
    expect(await run.locator('[data-step="tls"]').textContent()).toMatch(/TLSv1\.2 · ECDHE-RSA-AES\S+ · CN=127\.0\.0\.1 · expires \d{4}-\d\d-\d\d \(in 36[45] days\)/);

    // The page reloads its data at the end of the run: the panel now shows what the test negotiated.
    await expect.poll(() => page.getByTestId('tls-negotiated').textContent()).toContain('Negotiated at the last test');
    expect(await page.getByTestId('tls-protocol').textContent()).toBe('TLSv1.2');
    expect(await panel(page).getByTestId('certificate-expiry').textContent()).toMatch(/^\d{4}-\d\d-\d\d \(in 36[45] days\)$/);
    expect(await panel(page).textContent()).toContain('checked against the trusted CAs');
    await shots(page, 'connection-tls-panel');

    // Once a pool is open, the panel reads its connection instead.
    await page.getByRole('button', { name: 'Reset pool' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset pool' }).click();
    await expect.poll(() => page.getByTestId('tls-negotiated').textContent()).toContain('Negotiated by the open pool');
    expect(await page.getByTestId('tls-protocol').textContent()).toBe('TLSv1.2');
  });
});
