// The journey of issue 6 in a real browser: an admin configures an environment against the TDS
// server (a wrong password is refused with SQL Server's 18456 and nothing is saved; the right one
// saves and is healthy), grants `user` access; `user` can use the connection but not edit settings;
// the admin resets the pool and finds all of it in the audit log. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, fillEnvironmentForm, heading, screenshot, signIn, signOut, startStack, USER_PASSWORD, type Stack } from './support';

const DB_USER = 'app';
const DB_PASSWORD = 'Right-Passw0rd-for-e2e';
const ENVIRONMENT = 'Staging';
const CONNECTION = 'Staging (environment)';

describe('web UI journey', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'appdb' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('sends a visitor to sign-in and brings the admin to the dashboard', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/connections');
    await page.waitForURL(/\/sign-in\?redirectTo=/);
    await heading(page, 'Sign in');
    await screenshot(page, '01-sign-in');

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/username or password/i);
    // The username stays; the password does not come back.
    expect(await page.getByLabel('Username').inputValue()).toBe('admin');

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/w\/twsbp\/connections$/);
    await heading(page, 'Connections');
    await page.getByRole('link', { name: 'Overview' }).click();
    await heading(page, 'Overview');
    expect(await page.getByTestId('signed-in-as').textContent()).toBe('Administrator');
    await screenshot(page, '02-overview-empty');
  });

  it('refuses an environment whose login fails, with SQL Server’s 18456 reason, and saves nothing', async () => {
    const { page, emulator } = stack;
    await page.getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('link', { name: 'New environment' }).click();
    await heading(page, 'New environment');
    await fillEnvironmentForm(page, { name: ENVIRONMENT, port: emulator.port, database: 'appdb', user: DB_USER, password: 'Wrong-Passw0rd', poolSize: 4 });
    await page.getByRole('button', { name: 'Test and save' }).click();

    const refused = page.getByTestId('save-refused');
    await refused.waitFor();
    const text = await refused.textContent();
    expect(text).toContain('nothing was saved');
    expect(text).toContain('18456');
    expect(text).toMatch(/Login failed for user 'app'/);
    expect(await refused.locator('[data-step="login"]').getAttribute('data-state')).toBe('failed');
    expect(await refused.locator('[data-step="tcp"]').getAttribute('data-state')).toBe('ok');
    // Focus moved to the outcome; the form kept what was typed (except the password).
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('save-refused');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(ENVIRONMENT);
    expect(await page.getByLabel('Pool size').inputValue()).toBe('4');
    await screenshot(page, '03-environment-refused-18456');

    await page.getByRole('link', { name: 'Environments' }).first().click();
    await heading(page, 'Environments');
    expect(await page.locator('main').textContent()).not.toContain(ENVIRONMENT);
  });

  it('saves the environment once the password is right, and its connection is healthy', async () => {
    const { page, emulator } = stack;
    await page.getByRole('link', { name: 'New environment' }).click();
    await heading(page, 'New environment');
    await fillEnvironmentForm(page, { name: ENVIRONMENT, port: emulator.port, database: 'appdb', user: DB_USER, password: DB_PASSWORD, poolSize: 4 });
    await page.getByRole('button', { name: 'Test and save' }).click();

    const saved = page.getByTestId('save-succeeded');
    await saved.waitFor();
    expect(await saved.textContent()).toContain(`Environment “${ENVIRONMENT}” saved after a passing connection test`);
    for (const step of ['dns', 'tcp', 'login', 'query']) {
      expect(await saved.locator(`[data-step="${step}"]`).getAttribute('data-state')).toBe('ok');
    }
    await screenshot(page, '04-environment-saved');

    await page.getByRole('link', { name: 'Back to environments' }).click();
    await heading(page, 'Environments');
    const row = page.locator('tr', { hasText: ENVIRONMENT });
    expect(await row.textContent()).toContain('Healthy');
    await screenshot(page, '05-environments');

    await page.getByRole('link', { name: 'Connections' }).click();
    await heading(page, 'Connections');
    const connectionRow = page.locator(`tr[data-connection="${CONNECTION}"]`);
    expect(await connectionRow.textContent()).toMatch(/Healthy.*tested just now/);
    await screenshot(page, '06-connections');
  });

  it('grants user access to the connection', async () => {
    const { page } = stack;
    await page.getByRole('link', { name: 'Access' }).click();
    await heading(page, 'Access');
    await page.getByLabel('Connection', { exact: true }).selectOption({ label: CONNECTION });
    await page.waitForURL(/connection=/);
    // The URL changes before the selected connection's grants render: wait for them.
    await page.getByText(`No grants on ${CONNECTION}.`).or(page.getByRole('table', { name: `Grants on ${CONNECTION}` })).waitFor();
    await page.getByLabel('Member', { exact: true }).selectOption({ label: 'user (Member)' });
    await page.getByLabel('Access', { exact: true }).selectOption('use');
    await page.getByRole('button', { name: 'Grant access' }).click();
    await page.locator('tr[data-grant="user"]').waitFor();
    expect(await page.locator('tr[data-grant="user"]').textContent()).toContain('use');
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Granted use access');
    await screenshot(page, '07-access');
    await signOut(page);
  });

  it('lets user use the connection but not edit settings, and says so', async () => {
    const { page } = stack;
    await signIn(page, 'user', USER_PASSWORD);
    // Members do not get the managers' settings pages in their navigation.
    expect(await page.getByRole('link', { name: 'Access' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Environments' }).click();
    await heading(page, 'Environments');
    const main = page.locator('main');
    expect(await main.textContent()).toContain('You can use these environments but cannot change their settings');
    expect(await main.textContent()).toContain(ENVIRONMENT);
    expect(await page.getByRole('link', { name: 'New environment' }).count()).toBe(0);
    await screenshot(page, '08-member-environments');

    await page.goto('/w/twsbp/settings/environments/new');
    await heading(page, 'You do not have access to this');
    await screenshot(page, '09-member-forbidden');

    await page.getByRole('link', { name: 'Connections' }).click();
    await heading(page, 'Connections');
    await page.getByRole('link', { name: CONNECTION }).click();
    await heading(page, CONNECTION);
    // Reset pool is there, disabled, and says who can do it (e2e/permissions.e2e.ts checks the sentence).
    expect(await page.getByRole('button', { name: 'Reset pool' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('access-note').textContent()).toContain('You can use this connection');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/Connection test passed in \d+ ms/);
    await screenshot(page, '10-member-connection-tested');
    await signOut(page);
  });

  it('resets the pool as admin and shows its stats', async () => {
    const { page } = stack;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Connections' }).click();
    await heading(page, 'Connections');
    await page.getByRole('link', { name: CONNECTION }).click();
    await heading(page, CONNECTION);
    await page.getByRole('button', { name: 'Reset pool' }).click();
    // Resetting cancels whatever runs on the pool: a dialog says so first.
    const confirm = page.getByRole('dialog', { name: `Reset the pool of ${CONNECTION}?` });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('are cancelled');
    await confirm.getByRole('button', { name: 'Reset pool' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('The pool was drained and a new one opened');
    const stats = page.getByTestId('pool-stats');
    expect(await stats.textContent()).toContain('Open connections');
    expect(await stats.getByRole('meter', { name: 'Open connections' }).getAttribute('aria-valuemax')).toBe('4');
    await screenshot(page, '11-connection-reset');

    await page.getByRole('link', { name: 'Overview' }).click();
    await heading(page, 'Overview');
    const row = page.locator('.pool-row', { hasText: CONNECTION });
    expect(Number(await row.getByRole('meter', { name: 'Open connections' }).getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(1);
    await screenshot(page, '12-overview-pools');
  });

  it('shows the audit trail of all of it, filterable', async () => {
    const { page } = stack;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await heading(page, 'Audit log');
    const rows = page.locator('tbody tr');
    const trail = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-action')}:${tr.getAttribute('data-outcome')}`));
    expect(trail, trail.join(', ')).toEqual(
      expect.arrayContaining(['environment.create:failure', 'environment.create:success', 'access.grant:success', 'connection.test:success', 'connection.reset:success', 'environment.read:denied']),
    );
    // Newest first: the reset came last.
    expect(trail[0]).toBe('connection.reset:success');
    await screenshot(page, '13-audit');

    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=failure/);
    await expect.poll(() => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')))).toEqual(['environment.create']);
    expect(await page.locator('tbody').textContent()).toContain('18456');
  });

  it('creates an API token and shows it once', async () => {
    const { page } = stack;
    await page.getByRole('link', { name: 'API tokens' }).click();
    await heading(page, 'API tokens');
    await page.getByLabel('Name').fill('nightly-report');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    expect(await shown.getByLabel('New API token').textContent()).toMatch(/^wss_/);
    await screenshot(page, '14-tokens');
    await page.reload();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.locator('tr[data-token="nightly-report"]').count()).toBe(1);
  });

  it('fits a 390 px wide screen', async () => {
    const { page } = stack;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, title, name] of [
      ['/w/twsbp', 'Overview', '15-mobile-overview'],
      ['/w/twsbp/settings/environments/new', 'New environment', '16-mobile-environment-form'],
      ['/w/twsbp/settings/audit', 'Audit log', '17-mobile-audit'],
    ] as const) {
      await page.goto(path);
      await heading(page, title);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
      await screenshot(page, name);
    }
  });
});
