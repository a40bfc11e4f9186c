// People and accounts in a real browser: the admin's first sign-in forces a new password; the admin
// creates `maria` with an invite link; maria opens it in a second browser, sets her password, is
// added to twsbp from the Access page, signs in and sees the workspace, changes her own password on
// the Account page; the admin invites `nadia` straight from the Access page (person, link and
// membership in one action), while maria, Owner of her own workspace but no system Admin, is told
// to ask an Admin; the admin deactivates her: her open page's next action lands on sign-in and she
// cannot sign in again. Screenshots (desktop and 390 px) go to test-artifacts/ (not committed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { users } from '@studio/db/schema';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CHROMIUM, heading, screenshot, startStack, type Stack } from './support';

const ADMIN_NEW_PASSWORD = 'the admin chose this one';
const MARIA_PASSWORD = 'maria picked her own';
const MARIA_NEW_PASSWORD = 'maria changed it again';

/** The page as it is, and at phone width (390 px), for looking at. */
async function screenshotVariants(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-390`);
  if (size) await page.setViewportSize(size);
}

describe('people and accounts journey', () => {
  let stack: Stack;
  let mariaBrowser: BrowserContext;
  let mariaProfile: string;
  let maria: Page;
  let inviteUrl: string;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: 'app', emulatorPassword: 'People-e2e-Passw0rd', database: 'appdb' });
    // As the seed does for generated passwords: the seeded accounts' first sign-in must replace them.
    await stack.app.services.db.update(users).set({ mustChangePassword: true });
    mariaProfile = await mkdtemp(join(tmpdir(), 'studio-web-e2e-maria-'));
    mariaBrowser = await chromium.launchPersistentContext(mariaProfile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      baseURL: stack.app.url,
    });
    maria = mariaBrowser.pages()[0] ?? (await mariaBrowser.newPage());
    maria.setDefaultTimeout(20_000);
  });

  afterAll(async () => {
    await mariaBrowser?.close();
    await stack?.close();
    if (mariaProfile) await rm(mariaProfile, { recursive: true, force: true });
  });

  it('forces the admin to replace the initial password before anything else', async () => {
    const { page } = stack;
    await page.goto('/sign-in');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/change-password/);
    await heading(page, 'Choose a new password');
    await screenshotVariants(page, 'people-01-change-password');

    // Any other page sends them back here.
    await page.goto('/w/twsbp/connections');
    await page.waitForURL(/\/change-password\?redirectTo=%2Fw%2Ftwsbp%2Fconnections$/);
    await page.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await expect.poll(() => page.locator('#newPassword-error').textContent()).toMatch(/at least 12 characters/);

    await page.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(ADMIN_NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(ADMIN_NEW_PASSWORD);
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.waitForURL(/\/w\/twsbp\/connections$/);
    await heading(page, 'Connections');
  });

  it('the admin creates maria with an invite link, shown once', async () => {
    const { page } = stack;
    await page.getByRole('link', { name: 'People' }).click();
    await heading(page, 'People');
    await page.getByLabel('Username').fill('maria');
    await page.getByLabel('Display name').fill('Maria Lopez');
    await page.getByRole('button', { name: 'Add person' }).click();
    const link = page.getByTestId('new-link');
    await link.waitFor();
    inviteUrl = (await link.getByLabel('Invite link').textContent()) ?? '';
    expect(inviteUrl).toMatch(/\/invite\/wsi_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr[data-person="maria"]');
    expect(await row.textContent()).toContain('invited');
    await screenshotVariants(page, 'people-02-people-invite');
    // Shown once: a reload no longer carries it.
    await page.reload();
    await heading(page, 'People');
    expect(await page.content()).not.toContain(inviteUrl.split('/invite/')[1]!);
  });

  it('maria opens the link in her own browser and sets her password', async () => {
    await maria.goto(inviteUrl);
    await heading(maria, 'Welcome, Maria Lopez');
    await screenshotVariants(maria, 'people-03-invite');
    await maria.getByLabel('Password', { exact: true }).fill(MARIA_PASSWORD);
    await maria.getByLabel('Repeat the password').fill(MARIA_PASSWORD);
    await maria.getByRole('button', { name: 'Set password' }).click();
    await maria.waitForURL(/\/sign-in\?passwordSet=1&username=maria$/);
    await heading(maria, 'Sign in');
    expect(await maria.getByLabel('Username').inputValue()).toBe('maria');
    expect(await maria.getByRole('status').first().textContent()).toContain('Your password is set');

    // The link is spent.
    await maria.goto(inviteUrl);
    await heading(maria, 'This link cannot be used');
  });

  it('the admin adds maria to twsbp as Member from the Access page, by typing her name', async () => {
    const { page } = stack;
    await page.goto('/w/twsbp/settings/access');
    await heading(page, 'Access');
    // The suggestions come from the page's script: typed before hydration, the keys would reach a
    // plain input and ask for nothing (a slow machine showed that race).
    // The router object exists before React has attached its handlers; the form says when it has.
    await page.locator('form[aria-label="Add a member"][data-ready="true"]').waitFor();
    await page.getByLabel('Add a person (username)').pressSequentially('mar');
    await page.getByRole('option').getByRole('button', { name: /maria/ }).click();
    expect(await page.getByLabel('Add a person (username)').inputValue()).toBe('maria');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Added maria as Member');
    await page.locator('tr[data-member="maria"]').waitFor();
    await screenshotVariants(page, 'people-04-access');
  });

  it('the admin invites someone new from the Access page: the person, the link and the membership in one action', async () => {
    const { page } = stack;
    const form = page.getByRole('form', { name: 'Invite a new person' });
    await form.getByLabel('Username').fill('nadia');
    await form.getByLabel('Display name').fill('Nadia Haddad');
    await form.getByLabel('Workspace role').selectOption('Viewer');
    await form.getByRole('button', { name: 'Invite and add' }).click();
    const link = page.getByTestId('new-link');
    await link.waitFor();
    expect(await link.textContent()).toContain('Added nadia to this workspace as Viewer');
    const url = (await link.getByLabel('Invite link').textContent()) ?? '';
    expect(url).toMatch(/\/invite\/wsi_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr[data-member="nadia"]');
    await row.waitFor();
    expect(await row.getByLabel('Role of nadia', { exact: true }).inputValue()).toBe('Viewer');
    // The form is empty again for the next person.
    expect(await form.getByLabel('Username').inputValue()).toBe('');
    await screenshotVariants(page, 'people-04b-access-invite');
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `overflow at ${width} px`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    // Shown once: a reload no longer carries it.
    await page.reload();
    await heading(page, 'Access');
    expect(await page.content()).not.toContain(url.split('/invite/')[1]!);
  });

  it('maria signs in, sees the workspace and changes her own password on the Account page', async () => {
    await maria.goto('/sign-in');
    await maria.getByLabel('Username').fill('maria');
    await maria.getByLabel('Password').fill(MARIA_PASSWORD);
    await maria.getByRole('button', { name: 'Sign in', exact: true }).click();
    await maria.waitForURL(/\/w\/twsbp$/);
    await heading(maria, 'Overview');
    expect(await maria.getByTestId('signed-in-as').textContent()).toBe('Maria Lopez');

    await maria.getByTestId('signed-in-as').click();
    await heading(maria, 'Account');
    await maria.getByLabel('Current password').fill(MARIA_PASSWORD);
    await maria.getByLabel('New password', { exact: true }).fill(MARIA_NEW_PASSWORD);
    await maria.getByLabel('Repeat the new password').fill(MARIA_NEW_PASSWORD);
    await maria.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => maria.getByRole('status').first().textContent()).toMatch(/^Password changed/);
    expect(await maria.locator('tr[data-session="current"]').count()).toBe(1);
    await screenshotVariants(maria, 'people-05-account');
    await maria.goto('/w/twsbp');
    await heading(maria, 'Overview');
  });

  it('maria, Owner of her own workspace but no system Admin, is told to ask an Admin to invite someone new', async () => {
    await maria.goto('/workspaces/new');
    await maria.getByLabel('Name').fill('Maria Space');
    await maria.getByLabel('Slug').fill('maria-space');
    await maria.getByRole('button', { name: 'Create workspace' }).click();
    await maria.waitForURL(/\/w\/maria-space$/);
    await maria.goto('/w/maria-space/settings/access');
    await heading(maria, 'Access');
    expect(await maria.getByTestId('invite-needs-admin').textContent()).toBe('Inviting someone new needs a system Admin; ask an Admin to invite them, then add them here.');
    expect(await maria.getByRole('form', { name: 'Invite a new person' }).count()).toBe(0);
    await screenshotVariants(maria, 'people-05b-access-not-admin');
    for (const width of [1280, 390]) {
      await maria.setViewportSize({ width, height: 900 });
      expect(await maria.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `overflow at ${width} px`).toBeLessThanOrEqual(0);
    }
    await maria.setViewportSize({ width: 1280, height: 900 });
    await maria.goto('/w/twsbp');
    await heading(maria, 'Overview');
  });

  it('the admin deactivates maria: her next action lands on sign-in, and she cannot sign in', async () => {
    const { page } = stack;
    await page.goto('/people');
    await heading(page, 'People');
    const row = page.locator('tr[data-person="maria"]');
    await row.getByText('Deactivate…').click();
    await row.getByRole('button', { name: 'Confirm: deactivate maria' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Deactivated maria; their sessions ended');
    // The alert comes with the action's answer; the row follows once the page's data is reloaded.
    await expect.poll(() => row.textContent()).toContain('deactivated');

    await maria.getByRole('link', { name: 'Connections' }).click();
    await maria.waitForURL(/\/sign-in\?redirectTo=%2Fw%2Ftwsbp%2Fconnections$/);
    await heading(maria, 'Sign in');
    await maria.getByLabel('Username').fill('maria');
    await maria.getByLabel('Password').fill(MARIA_NEW_PASSWORD);
    await maria.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => maria.getByRole('alert').textContent()).toMatch(/username or password/i);
    expect(maria.url()).toMatch(/\/sign-in/);
  });
});
