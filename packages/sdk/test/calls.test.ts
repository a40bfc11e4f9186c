// Token-authenticated calls through the SDK against the real API (PGlite, and PostgreSQL when
// DATABASE_URL is set), with the TDS emulator as the workspace SQL Server.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type RouterOutputs, type StudioClient } from '../src/index';
import { startTestApi, type TestApi } from './support/api';

const DB_PASSWORD = 'Sdk-Emulated-Passw0rd';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: DB_PASSWORD }], databases: ['appdb'], preload: true });
});

afterAll(async () => {
  await emulator?.close();
});

/** A fetch that forwards to the real one and counts the HTTP requests the client makes. */
function countingFetch() {
  const requests: string[] = [];
  const counted: typeof fetch = (input, init) => {
    requests.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  return { fetch: counted, requests };
}

describe.each(testTargets)('SDK calls on $name', (target) => {
  let api: TestApi;
  let service: StudioClient;

  beforeAll(async () => {
    api = await startTestApi(target);
    service = createClient({ url: api.url, token: (await api.token('Admin')).token });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('lists the token’s workspace and its connections', async () => {
    const workspaces = await service.workspaces.listMine.query();
    expect(workspaces.items).toEqual([expect.objectContaining({ slug: 'twsbp', role: 'Admin' })]);
    const connections = await service.connections.list.query({ workspaceSlug: 'twsbp' });
    expect(Array.isArray(connections.items)).toBe(true);
    expect(connections).toHaveProperty('nextCursor');
  });

  it('creates a SQL Server connection, finds it in the list without its password, and tests it', async () => {
    const created = await service.connections.create.mutate({
      workspaceSlug: 'twsbp',
      name: 'sdk-emulator',
      type: 'mssql',
      host: '127.0.0.1',
      port: emulator.port,
      database: 'appdb',
      user: 'app',
      password: DB_PASSWORD,
    });
    expect(created).toMatchObject({ name: 'sdk-emulator', type: 'mssql', port: emulator.port, database: 'appdb' });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(created)).not.toContain(DB_PASSWORD);

    const listed = await service.connections.list.query({ workspaceSlug: 'twsbp' });
    expect(listed.items.map((c) => c.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(DB_PASSWORD);

    const loginsBefore = emulator.control.loginCount;
    const result = await service.connections.test.mutate({ workspaceSlug: 'twsbp', connectionId: created.id });
    expect(result).toMatchObject({ success: true, status: 'healthy' });
    expect(result.steps.map((s) => [s.name, s.ok])).toContainEqual(['login', true]);
    expect(result.serverVersion).toEqual(expect.any(String));
    expect(result.lastTestedAt).toBeInstanceOf(Date);
    // The test really logged in at the server.
    expect(emulator.control.loginCount).toBeGreaterThan(loginsBefore);

    const fetched: RouterOutputs['connections']['get'] = await service.connections.get.query({ workspaceSlug: 'twsbp', connectionId: created.id });
    expect(fetched.lastTestedAt).toBeInstanceOf(Date);
    expect(fetched.lastTestedAt!.getTime()).toBe(result.lastTestedAt!.getTime());

    // The schema browser's catalogue, with its read time as a Date.
    const schema: RouterOutputs['connections']['schema'] = await service.connections.schema.query({ workspaceSlug: 'twsbp', connectionId: created.id, refresh: true });
    expect(schema).toMatchObject({ connectionId: created.id, type: 'mssql', database: 'appdb', truncated: false });
    expect(schema.loadedAt).toBeInstanceOf(Date);
    expect(Array.isArray(schema.schemas)).toBe(true);
  });

  it('sends calls made together in one HTTP request, and each gets its own answer', async () => {
    const { token } = await api.token('Admin');
    const counter = countingFetch();
    const client = createClient({ url: api.url, token, fetch: counter.fetch });

    const [workspaces, connections, ping, me] = await Promise.all([
      client.workspaces.listMine.query(),
      client.connections.list.query({ workspaceSlug: 'twsbp', limit: 5 }),
      client.health.ping.query(),
      client.auth.me.query(),
    ]);
    expect(counter.requests).toHaveLength(1);
    expect(counter.requests[0]).toContain('workspaces.listMine,connections.list,health.ping,auth.me');
    expect(workspaces.items[0]?.slug).toBe('twsbp');
    expect(connections.items.length).toBeLessThanOrEqual(5);
    expect(ping.ok).toBe(true);
    expect(me).toMatchObject({ kind: 'token' });

    // Calls awaited one after another cannot share a request.
    await client.health.ping.query();
    await client.health.ping.query();
    expect(counter.requests).toHaveLength(3);
  });

  it('keeps Date values as Dates across the wire (superjson)', async () => {
    const before = Date.now();
    const { time } = await service.health.ping.query();
    expect(time).toBeInstanceOf(Date);
    expect(time.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(time.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('acts as the signed-in user when given the session cookie', async () => {
    const asAdmin = createClient({ url: api.url, cookie: api.adminCookie });
    expect(await asAdmin.auth.me.query()).toMatchObject({ kind: 'user', user: { username: 'admin' } });
  });
});
