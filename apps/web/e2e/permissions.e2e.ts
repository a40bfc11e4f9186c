// Issue 16 item 5 in a real browser: a Member sees what they may not do before they try. Publish and
// Delete are disabled, each described by the API's sentence (why not, whom to ask), and the
// connection's Edit and Reset pool likewise; the Owner sees the same buttons enabled.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, fillEnvironmentForm, heading, screenshot, signIn, signOut, startStack, USER_PASSWORD, type Stack } from './support';

const DB_USER = 'perms';
const DB_PASSWORD = 'Perms-e2e-Passw0rd';
const CONNECTION = 'Production (environment)';

/** The text of the elements named by the control's aria-describedby: what a screen reader announces. */
async function descriptionOf(control: Locator): Promise<string> {
  return control.evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

describe('5. say what a person may do before they try', () => {
  let stack: Stack;
  let procedureUrl: string;
  let connectionUrl: string;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'permsdb' });
    const { page, emulator } = stack;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/w/twsbp/settings/environments/new');
    await heading(page, 'New environment');
    await fillEnvironmentForm(page, { name: 'Production', port: emulator.port, database: 'permsdb', user: DB_USER, password: DB_PASSWORD });
    await page.getByRole('button', { name: 'Test and save' }).click();
    await page.getByTestId('save-succeeded').waitFor();
    await page.goto('/w/twsbp/sql');
    await heading(page, 'SQL editor');
    await page.getByLabel('Name', { exact: true }).fill('Greet');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/w\/twsbp\/sql\/[0-9a-f-]{36}$/);
    procedureUrl = new URL(page.url()).pathname;
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();
    // The Owner may publish and delete: nothing disabled, nothing explained.
    expect(await page.getByRole('button', { name: /^Publish( to .+)?$/ }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Delete procedure' }).isEnabled()).toBe(true);
    expect(await page.getByTestId('denial-reason').count()).toBe(0);
    await page.goto('/w/twsbp/connections');
    await heading(page, 'Connections');
    await page.getByRole('link', { name: CONNECTION }).click();
    await heading(page, CONNECTION);
    connectionUrl = new URL(page.url()).pathname;
    expect(await page.getByRole('button', { name: 'Reset pool' }).isEnabled()).toBe(true);
    await signOut(page);
    await signIn(page, 'user', USER_PASSWORD);
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function open(page: Page, url: string) {
    await page.goto(url);
    await page.locator('main h1').waitFor();
  }

  it("shows a Member's Publish and Delete disabled, with the reason and who can grant it", async () => {
    const { page } = stack;
    await open(page, procedureUrl);
    await heading(page, 'dbo.Greet');
    await page.locator('[data-testid="sql-editor"][data-ready="true"]').waitFor();

    const publish = page.getByRole('button', { name: /^Publish( to .+)?$/ });
    const publishing = `Publishing needs manage access to ${CONNECTION}; ask an Owner or Admin`;
    expect(await publish.isDisabled()).toBe(true);
    expect(await descriptionOf(publish)).toBe(publishing);
    // Visible, not only announced: the sentence is on the page next to the button.
    expect(await page.getByText(publishing, { exact: true }).isVisible()).toBe(true);

    const del = page.getByRole('button', { name: 'Delete procedure' });
    expect(await del.isDisabled()).toBe(true);
    expect(await descriptionOf(del)).toBe(`Deleting procedures needs manage access to ${CONNECTION}; ask an Owner or Admin`);

    // The Member may still edit the draft (use access through the default environment).
    expect(await page.locator('[data-save-state]').textContent()).not.toBe('Read only');
    await screenshot(page, 'member-publish-disabled-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.getByText(publishing, { exact: true }).isVisible()).toBe(true);
    await screenshot(page, 'member-publish-disabled-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("shows a Member's connection Edit, Delete and Reset pool disabled with their reasons", async () => {
    const { page } = stack;
    await open(page, connectionUrl);
    await heading(page, CONNECTION);
    const edit = page.getByRole('button', { name: 'Edit', exact: true });
    expect(await edit.isDisabled()).toBe(true);
    expect(await descriptionOf(edit)).toBe(`Editing a connection needs manage access to ${CONNECTION}; ask an Owner or Admin`);
    const remove = page.getByRole('button', { name: 'Delete…' });
    expect(await remove.isDisabled()).toBe(true);
    expect(await descriptionOf(remove)).toBe('Deleting connections needs the Owner or Admin role; ask an Owner or Admin of this workspace');
    const reset = page.getByRole('button', { name: 'Reset pool' });
    expect(await reset.isDisabled()).toBe(true);
    expect(await descriptionOf(reset)).toBe(`Resetting a connection pool needs manage access to ${CONNECTION}; ask an Owner or Admin`);
    // Testing needs only use access, which the default environment's connection gives every Member.
    expect(await page.getByRole('button', { name: 'Test connection' }).isEnabled()).toBe(true);
    await screenshot(page, 'member-connection-disabled-1280');
  });
});
