// The browser suite's stack: the TDS emulator, the built app on a free port with a temporary PGlite,
// and Debian's Chromium driven by playwright-core (never `playwright install`).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, type RunningApp } from '@studio/api';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startStudio, WEB_ROOT } from '../server/index';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(WEB_ROOT, 'test-artifacts');
export const ADMIN_PASSWORD = 'admin-e2e-password-1';
export const USER_PASSWORD = 'user-e2e-password-12';

export interface Stack {
  app: RunningApp;
  emulator: RunningEmulator;
  browser: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function startStack(options: { emulatorUser: string; emulatorPassword: string; database: string }): Promise<Stack> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  const dataDir = await mkdtemp(join(tmpdir(), 'studio-web-e2e-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'studio-web-e2e-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const emulator = await startEmulator({ users: [{ user: options.emulatorUser, password: options.emulatorPassword }], databases: [options.database], preload: true });
  const env = loadEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SEED_USER_PASSWORD: USER_PASSWORD,
    DEMO_MSSQL: 'false',
  });
  const app = await startStudio({ env, mode: 'production', announce: () => undefined });
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    baseURL: app.url,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
  return {
    app,
    emulator,
    browser,
    page,
    async close() {
      await browser.close();
      await app.close();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Waits until the page's h1 reads `title`. The URL changes a moment before React renders the new
 * route, so reading the page right after waitForURL can still see the previous one.
 */
export async function heading(page: Page, title: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
}

/** Fills the environment form for the emulator on this host (plain TDS, so encryption off). */
export async function fillEnvironmentForm(page: Page, fields: { name: string; port: number; database: string; user: string; password: string; poolSize?: number }): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(fields.name);
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(fields.port));
  await page.getByLabel('Database').fill(fields.database);
  await page.getByLabel('User', { exact: true }).fill(fields.user);
  await page.getByLabel('Password').fill(fields.password);
  await page.getByLabel('Encryption', { exact: true }).selectOption('off');
  if (fields.poolSize !== undefined) await page.getByLabel('Pool size').fill(String(fields.poolSize));
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(/\/w\/[^/]+$/);
  await heading(page, 'Overview');
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in$/);
  await heading(page, 'Sign in');
}
