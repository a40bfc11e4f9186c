// When the system database goes away, a page says so inside the app and comes back by itself: the
// app runs on PostgreSQL through a TCP gate this test closes (connections refused, open ones reset)
// and opens again, with no restart of the app. Needs DATABASE_URL (CI sets it; elsewhere the file is
// skipped with that reason, and under CI=true a missing URL fails).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, type RunningApp } from '@studio/api';
import { testTargets, type TestDatabase } from '@studio/db/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudio } from '../server/index';
import { ADMIN_PASSWORD, CHROMIUM, heading, screenshot, signIn, USER_PASSWORD } from './support';

const postgres = testTargets.find((t) => t.name === 'postgres');

/** A TCP forwarder to PostgreSQL that can be closed (refused, open connections reset) and opened again on the same port. */
class Gate {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async open(target: { host: string; port: number }): Promise<Gate> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const gate = new Gate(port, target);
    await gate.reopen();
    return gate;
  }

  async reopen(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.#sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
  }

  async shut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const needs = postgres ? describe : describe.skip;

needs('a system-database outage in the browser (needs DATABASE_URL)', () => {
  let fresh: TestDatabase;
  let gate: Gate;
  let app: RunningApp;
  let browser: BrowserContext;
  let page: Page;
  let dataDir = '';
  let profileDir = '';

  beforeAll(async () => {
    fresh = await postgres!.create();
    const url = new URL(fresh.url!);
    await fresh.database.close();
    gate = await Gate.open({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(gate.port);
    dataDir = await mkdtemp(join(tmpdir(), 'studio-web-outage-'));
    profileDir = await mkdtemp(join(tmpdir(), 'studio-web-outage-chromium-'));
    const env = loadEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64')}`,
      AUTO_MIGRATE: 'true',
      AUTO_SEED: 'true',
      SEED_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SEED_USER_PASSWORD: USER_PASSWORD,
      DEMO_MSSQL: 'false',
      LOG_LEVEL: 'silent',
      DATABASE_QUERY_TIMEOUT_MS: '2000',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
    });
    app = await startStudio({ env, mode: 'production', announce: () => undefined });
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      baseURL: app.url,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
  });

  afterAll(async () => {
    await browser?.close();
    // Open again if the test stopped half-way, so the app can close its pool cleanly.
    await gate?.reopen().catch(() => undefined);
    await app?.close();
    await fresh?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('shows "Temporarily unavailable, retrying" (503, Retry-After) while the database is gone, and the page itself once it is back', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await gate.shut();

    const started = Date.now();
    const response = await page.goto('/w/twsbp/connections');
    expect(response?.status()).toBe(503);
    expect(Number(response?.headers()['retry-after'])).toBeGreaterThan(0);
    // Answered within the connect deadline, not after a hang.
    expect(Date.now() - started).toBeLessThan(15_000);
    await heading(page, 'Temporarily unavailable, retrying');
    await page.getByRole('status').filter({ hasText: /Trying again/ }).waitFor();
    await page.getByText(/The system database is not available/).waitFor();
    // Inside the app's layout: its top bar, whose brand leads home.
    await page.getByRole('banner').getByRole('link', { name: 'Workspace Studio' }).waitFor();
    await screenshot(page, 'outage-503');

    // Back without restarting the app: the page reloads by itself and shows what was asked for.
    await gate.reopen();
    // The countdown is the Retry-After (2–30 s), then a reload.
    await page.getByRole('heading', { level: 1, name: 'Connections', exact: true }).waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).pathname).toBe('/w/twsbp/connections');
  });
});
