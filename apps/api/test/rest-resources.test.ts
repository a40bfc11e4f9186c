// REST for the rest of the public surface, through the real server with API tokens: environments
// tested on save against the SQL Server emulator (refused with 18456, then saved), connection test
// and status, access grants, workspaces, members and tokens. Every body is scanned for passwords.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const GOOD_PASSWORD = 'Rest-Env-Good-Passw0rd';
const WRONG_PASSWORD = 'Rest-Env-Wrong-Passw0rd';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: GOOD_PASSWORD }], databases: ['appdb'], preload: true });
});

afterAll(async () => {
  await emulator.close();
});

describe.each(testTargets)('REST resources on $name', (target) => {
  let test: TestApp;
  let owner: string;
  let viewer: string;
  const bodies: string[] = [];
  const ws = '/api/v1/workspaces/twsbp';

  async function rest(method: string, path: string, token: string, body?: unknown) {
    const response = await fetch(`${test.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers of many shapes, asserted field by field
  }

  beforeAll(async () => {
    test = await startTestApp(target);
    owner = await test.token('Owner');
    viewer = await test.token('Viewer');
  });

  afterAll(async () => {
    await test?.close();
  });

  afterAll(() => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toContain(GOOD_PASSWORD);
      expect(body).not.toContain(WRONG_PASSWORD);
    }
  });

  const connection = (password: string) => ({ host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password });

  it('tests an environment on save: refused with SQL Server 18456, then saved; members see choices only', async () => {
    const refused = await rest('POST', `${ws}/environments`, owner, { name: 'Rest Production', connection: connection(WRONG_PASSWORD), autoMigrate: false });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'connection_operation_failed', details: { reason: 'authentication_failed', database_type: 'mssql', error_code: '18456' } });

    const saved = await rest('POST', `${ws}/environments`, owner, { name: 'Rest Production', connection: connection(GOOD_PASSWORD), autoMigrate: false });
    expect(saved.status).toBe(200);
    expect(saved.body.test).toMatchObject({ success: true, details: { reason: 'ok' } });
    expect(saved.body.environment).toMatchObject({ name: 'Rest Production', isDefault: true, connection: { type: 'mssql', user: 'app', hasPassword: true, status: 'healthy' } });
    const environmentId = saved.body.environment.id as string;
    const connectionId = saved.body.environment.connectionId as string;

    const listed = await rest('GET', `${ws}/environments`, owner);
    expect(listed.body.items.map((e: { id: string }) => e.id)).toContain(environmentId);

    const choices = await rest('GET', `${ws}/environments/choices`, viewer);
    expect(choices.status).toBe(200);
    expect(choices.body.items).toEqual([{ id: environmentId, name: 'Rest Production', isDefault: true, configured: true, status: 'healthy' }]);
    expect((await rest('GET', `${ws}/environments/${environmentId}`, viewer)).status).toBe(403);

    const renamed = await rest('PATCH', `${ws}/environments/${environmentId}`, owner, { description: 'main' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.environment).toMatchObject({ description: 'main', connection: { hasPassword: true } });

    const tested = await rest('POST', `${ws}/connections/${connectionId}/test`, owner, { timeoutMs: 5_000 });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ success: true, status: 'healthy', details: { database_type: 'mssql' } });
    expect(tested.body.steps.map((s: { name: string }) => s.name)).toEqual(['dns', 'tcp', 'tls', 'login', 'query']);
    expect(tested.body.lastTestedAt).toMatch(/Z$/);

    const status = await rest('GET', `${ws}/connections/${connectionId}/status`, viewer);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ connectionId, status: 'healthy', circuitOpen: false });

    // A reset logs the new pool in: the pool shows in reset, status, pool-stats and /metrics.
    const reset = await rest('POST', `${ws}/connections/${connectionId}/reset`, owner, {});
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ connectionId, reset: true, pool: { connectionId, type: 'mssql', state: 'ready' } });
    expect(reset.body.pool.createdAt).toMatch(/Z$/);
    const poolStats = await rest('GET', `${ws}/connections/pool-stats?connectionId=${connectionId}`, owner);
    expect(poolStats.status).toBe(200);
    expect(poolStats.body).toMatchObject({ pools: [{ connectionId, state: 'ready' }], circuits: [], totals: { pools: 1 } });
    expect((await rest('GET', `${ws}/connections/${connectionId}/status`, viewer)).body.pool).toMatchObject({ connectionId, state: 'ready' });
    const metrics = await (await fetch(`${test.app.url}/metrics`)).text();
    expect(metrics).toMatch(/^workspace_pool_pools 1$/m);
    expect(metrics).toContain(`workspace_pool_pool_max{workspace_id="${saved.body.environment.workspaceId}",connection_id="${connectionId}",type="mssql",state="ready"}`);

    const draft = await rest('POST', `${ws}/connections/test-draft`, owner, { type: 'mssql', ...connection(WRONG_PASSWORD) });
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ success: false, details: { reason: 'authentication_failed', error_code: '18456' } });

    const validated = await rest('POST', `${ws}/connections/validate`, owner, { type: 'mssql', ...connection(GOOD_PASSWORD), host: '169.254.169.254' });
    expect(validated.body).toMatchObject({ valid: false, problems: [{ field: 'host' }] });
  });

  it('watches a draft test over REST: started, read past a version (waiting), ended; another token is told it does not exist', async () => {
    const started = await rest('POST', `${ws}/connections/test-draft-runs`, owner, { type: 'mssql', ...connection(WRONG_PASSWORD), options: { tls: false } });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ state: 'running', result: null, endedAt: null });
    expect(started.body.startedAt).toMatch(/Z$/);
    const run = `${ws}/connection-test-runs/${started.body.id as string}`;
    let view = started.body;
    while (view.state === 'running') {
      const read = await rest('GET', `${run}?afterVersion=${view.version as number}&waitMs=5000`, owner);
      expect(read.status).toBe(200);
      expect(read.body.version).toBeGreaterThan(view.version as number);
      view = read.body;
    }
    expect(view).toMatchObject({ state: 'failed', result: { success: false, details: { reason: 'authentication_failed', error_code: '18456' } } });
    expect(view.endedAt).toMatch(/Z$/);
    const other = await test.token('Owner');
    expect(await rest('GET', run, other)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await rest('POST', `${run}/cancel`, other, {})).toMatchObject({ status: 404, body: { error: 'not_found' } });
    // Cancelling an ended run leaves it as it ended.
    expect(await rest('POST', `${run}/cancel`, owner, {})).toMatchObject({ status: 200, body: { state: 'failed' } });
    expect(await rest('GET', `${run}?waitMs=99999`, owner)).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
  });

  it('grants and revokes access to a connection', async () => {
    const members = await rest('GET', `${ws}/members`, owner);
    expect(members.status).toBe(200);
    const member = members.body.items.find((m: { username: string }) => m.username === 'user');
    expect(member).toMatchObject({ role: 'Member' });

    const created = await rest('POST', `${ws}/connections`, owner, { name: 'rest-access', type: 'postgres', host: '10.1.2.3', port: 5432, database: 'd', user: 'u', password: GOOD_PASSWORD });
    const connectionId = created.body.id as string;
    const access = `${ws}/connections/${connectionId}/access`;

    const granted = await rest('POST', access, owner, { userId: member.userId, level: 'use' });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ connectionId, userId: member.userId, level: 'use' });
    expect((await rest('GET', access, owner)).body.items).toEqual([expect.objectContaining({ userId: member.userId, username: 'user', level: 'use' })]);
    expect((await rest('POST', access, viewer, { userId: member.userId, level: 'manage' })).status).toBe(403);

    const revoked = await rest('DELETE', `${access}/${member.userId}`, owner);
    expect(revoked.body).toEqual({ connectionId, userId: member.userId, previousLevel: 'use' });
    expect((await rest('GET', access, owner)).body.items).toEqual([]);
    expect((await rest('DELETE', `${access}/${member.userId}`, owner)).status).toBe(404);
  });

  it('shows the token its workspace and role, lists tokens without secrets, and keeps token minting to people', async () => {
    const mine = await rest('GET', '/api/v1/workspaces', viewer);
    expect(mine.body).toMatchObject({ items: [{ slug: 'twsbp', role: 'Viewer' }], nextCursor: null });
    const workspace = await rest('GET', ws, owner);
    expect(workspace.body).toMatchObject({ slug: 'twsbp', role: 'Owner', memberCount: 2 });

    const tokens = await rest('GET', `${ws}/tokens`, owner);
    expect(tokens.status).toBe(200);
    expect(tokens.body.items.length).toBeGreaterThanOrEqual(2);
    for (const item of tokens.body.items) {
      expect(Object.keys(item)).not.toContain('token');
      expect(Object.keys(item)).not.toContain('tokenHash');
      expect(item.prefix).toMatch(/^wss_/);
    }
    expect(JSON.stringify(tokens.body)).not.toContain(owner);

    const minted = await rest('POST', `${ws}/tokens`, owner, { name: 'from-a-token', role: 'Viewer' });
    expect(minted.status).toBe(403);
    expect(minted.body).toMatchObject({ error: 'forbidden', details: { action: 'token.create' } });
  });
});
