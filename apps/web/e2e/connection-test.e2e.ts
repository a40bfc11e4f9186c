// Issue 16 item 9: a connection test you can watch. The TDS emulator holds every server message
// (its delayResponses control), so dns and tcp finish while the login is still running: the page
// shows them done one by one, Cancel stops a test, and a retry starts from a clean slate (the last
// attempt's error is gone at once). On the new-connection form and on the connection page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, heading, screenshot, signIn, startStack, USER_PASSWORD, type Stack } from './support';

const DB_USER = 'app';
const DB_PASSWORD = 'Watched-Test-Passw0rd';
const CONNECTION = 'Watched';
/** Long enough that the login is seen running; the connect timeout below keeps the test's deadline above it. */
const SLOW_SERVER_MS = 800;

const panel = (page: Page) => page.getByTestId('test-run');

/** The steps' states at one instant (read in one go, so they are consistent with each other). */
function stepStates(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('[data-testid="test-run"] [data-step]')].map((li) => [li.getAttribute('data-step'), li.getAttribute('data-state')])),
  ) as Promise<Record<string, string>>;
}

/** Waits until dns is done while login still runs, and answers what the steps said then. */
async function seenMidway(page: Page): Promise<Record<string, string>> {
  await page.waitForFunction(() => {
    const state = (name: string) => document.querySelector(`[data-testid="test-run"] [data-step="${name}"]`)?.getAttribute('data-state');
    return state('dns') === 'ok' && state('login') === 'running';
  });
  return stepStates(page);
}

describe('a connection test you can watch', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ emulatorUser: DB_USER, emulatorPassword: DB_PASSWORD, database: 'appdb' });
    await signIn(stack.page, 'admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('on the new-connection form: a failed test, then a retry whose steps arrive one by one with the old error gone', async () => {
    const { page, emulator } = stack;
    await page.goto('/w/twsbp/connections/new');
    await heading(page, 'New connection');
    const fill = async (password: string) => {
      await page.getByLabel('Name', { exact: true }).fill(CONNECTION);
      await page.getByLabel('Host').fill('127.0.0.1');
      await page.getByLabel('Port').fill(String(emulator.port));
      await page.getByLabel('Database').fill('appdb');
      await page.getByLabel('User', { exact: true }).fill(DB_USER);
      await page.getByLabel('Password').fill(password);
      await page.getByLabel('Encryption', { exact: true }).selectOption('off');
      await page.getByLabel('Connect timeout (ms)').fill('20000');
    };
    await fill('Wrong-Passw0rd');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await expect.poll(() => panel(page).getAttribute('data-state')).toBe('failed');
    expect(await panel(page).getByRole('alert').textContent()).toMatch(/Connection test failed: Login failed for user 'app'/);
    expect(await stepStates(page)).toMatchObject({ dns: 'ok', tcp: 'ok', login: 'failed', query: 'not-run' });

    emulator.control.delayResponses(SLOW_SERVER_MS);
    await page.getByLabel('Password').fill(DB_PASSWORD);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const midway = await seenMidway(page);
    expect(midway).toMatchObject({ dns: 'ok', tcp: 'ok', login: 'running', query: 'waiting' });
    // The failed attempt's answer went away with the new attempt.
    expect(await page.getByText('Login failed').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'connection-test-midway');
    await expect.poll(() => panel(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('passed');
    expect(await panel(page).getByRole('status').textContent()).toMatch(/Connection test passed in \d+ ms/);
    expect(await stepStates(page)).toEqual({ dns: 'ok', tcp: 'ok', tls: 'skipped', login: 'ok', query: 'ok' });
    emulator.control.clearFaults();

    await page.getByLabel('Password').fill(DB_PASSWORD);
    await page.getByRole('button', { name: 'Create connection' }).click();
    await heading(page, CONNECTION);
  });

  it('on the connection page: Cancel stops a running test, and a retry passes', async () => {
    const { page, emulator } = stack;
    emulator.control.delayResponses(Infinity);
    await page.getByRole('button', { name: 'Test connection' }).click();
    expect(await seenMidway(page)).toMatchObject({ dns: 'ok', tcp: 'ok', login: 'running' });
    await panel(page).getByRole('button', { name: 'Cancel test' }).click();
    await expect.poll(() => panel(page).getAttribute('data-state')).toBe('cancelled');
    expect(await panel(page).textContent()).toContain('Connection test cancelled');
    expect(await stepStates(page)).toMatchObject({ dns: 'ok', tcp: 'ok', tls: 'cancelled', login: 'cancelled', query: 'cancelled' });
    await screenshot(page, 'connection-test-cancelled');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'connection-test-cancelled-390');
    await page.setViewportSize({ width: 1280, height: 900 });
    emulator.control.clearFaults();

    // A cancelled test says nothing about the server; the next one does.
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => panel(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('passed');
    expect(await page.getByText('Connection test cancelled').count()).toBe(0);
    await expect.poll(() => page.locator('main').textContent()).toMatch(/Healthy/);
  });

  it('a run cannot be read by anyone but its starter', async () => {
    const { page, app } = stack;
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => panel(page).getAttribute('data-state')).toBe('passed');
    const runUrl = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => entry.name).filter((name) => name.includes('/connection-test-runs/')).at(-1));
    expect(runUrl).toBeDefined();
    const path = new URL(runUrl!).pathname;
    // The starter reads it; another member of the workspace is told it does not exist.
    const own = await page.request.get(path, { headers: { accept: 'application/json' } });
    expect(await own.json()).toMatchObject({ state: 'passed' });
    const member = await request.newContext({ baseURL: app.url });
    try {
      await member.post('/sign-in', { form: { username: 'user', password: USER_PASSWORD }, headers: { origin: app.url } });
      const theirs = await member.get(path, { headers: { accept: 'application/json' } });
      expect(theirs.status()).toBe(404);
      expect(await theirs.json()).toMatchObject({ error: 'not_found', message: 'Connection test run was not found' });
      const cancel = await member.post(path, { headers: { origin: app.url, accept: 'application/json' } });
      expect(cancel.status()).toBe(404);
    } finally {
      await member.dispose();
    }
  });
});
