// Issue 16 item 9: connection tests watched step by step (connections.testStart / testDraftStart /
// testRun / testCancel) against the TDS emulator, slowed with its delayResponses control so the
// login is still running while dns and tcp have finished. One system database (the first target):
// the runs live in the app's memory, the database only records the end.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, problemOf, useHarness, type Harness } from './support/harness';

const GOOD_PASSWORD = 'Emulated-Good-Passw0rd';
const WRONG_PASSWORD = 'Wrong-Passw0rd-Never-Shown';
const target = testTargets[0]!;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: GOOD_PASSWORD }], databases: ['appdb'], preload: true });
});

afterAll(async () => {
  await emulator.close();
});

afterEach(() => {
  emulator.control.clearFaults();
});

type Api = ReturnType<Harness['caller']>;
type RunView = Awaited<ReturnType<Api['connections']['testRun']>>;

/** Reads the run as a watcher would, one change at a time, until it ends: every view seen. */
async function watch(api: Api, workspaceId: string, runId: string): Promise<RunView[]> {
  const seen: RunView[] = [];
  let version = -1;
  for (;;) {
    const view = await api.connections.testRun({ workspaceId, runId, afterVersion: version, waitMs: 5_000 });
    seen.push(view);
    if (view.state !== 'running') return seen;
    version = view.version;
  }
}

async function stepsReach(api: Api, workspaceId: string, runId: string, count: number): Promise<RunView> {
  let version = -1;
  for (;;) {
    const view = await api.connections.testRun({ workspaceId, runId, afterVersion: version, waitMs: 5_000 });
    if (view.steps.length >= count || view.state !== 'running') return view;
    version = view.version;
  }
}

/** An Owner, their workspace, a caller acting as them and a connection to the emulator. */
async function ownerWithConnection(h: Harness) {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  const api = h.caller(owner.principal);
  const connection = await api.connections.create({
    workspaceId: ws.id,
    name: 'emulated',
    type: 'mssql',
    host: '127.0.0.1',
    port: emulator.port,
    database: 'appdb',
    user: 'app',
    password: GOOD_PASSWORD,
    options: { tls: false },
  });
  return { owner, ws, api, connection };
}

describe(`watched connection tests on ${target.name}`, () => {
  const h = useHarness(target);

  const setup = () => ownerWithConnection(h);

  it('answers the run at once, then each step as it finishes, in order, then the result', async () => {
    const { ws, api, connection } = await setup();
    emulator.control.delayResponses(250);
    const started = await api.connections.testStart({ workspaceId: ws.id, connectionId: connection.id });
    expect(started).toMatchObject({ state: 'running', result: null, endedAt: null });
    const seen = await watch(api, ws.id, started.id);
    const names = seen.map((view) => view.steps.map((step) => step.name).join(','));
    // dns and tcp were reported while the (delayed) login was still running.
    expect(seen).toContainEqual(expect.objectContaining({ state: 'running', steps: [expect.objectContaining({ name: 'dns', ok: true }), expect.objectContaining({ name: 'tcp', ok: true })] }));
    // Each view holds the steps of the one before it, and more.
    for (let i = 1; i < names.length; i++) expect(names[i]!.startsWith(names[i - 1]!)).toBe(true);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: 'passed', result: { success: true, details: { reason: 'ok' } } });
    expect(last.steps.map((step) => [step.name, step.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['tls', true],
      ['login', true],
      ['query', true],
    ]);
    expect(last.endedAt).toBeInstanceOf(Date);
    // The end is recorded like a one-shot test: status and audit.
    const status = await api.connections.status({ workspaceId: ws.id, connectionId: connection.id });
    expect(status.status).toBe('healthy');
    expect((await h.auditRows(ws.id)).filter((row) => row.action === 'connection.test')).toEqual([expect.objectContaining({ outcome: 'success' })]);
  });

  it('cancel stops a running test: the finished steps stay, nothing is recorded as the server’s status', async () => {
    const { ws, api, connection } = await setup();
    emulator.control.delayResponses(Infinity);
    const started = await api.connections.testStart({ workspaceId: ws.id, connectionId: connection.id });
    const running = await stepsReach(api, ws.id, started.id, 2);
    expect(running).toMatchObject({ state: 'running', steps: [{ name: 'dns' }, { name: 'tcp' }] });
    const cancelled = await api.connections.testCancel({ workspaceId: ws.id, runId: started.id });
    expect(cancelled).toMatchObject({ state: 'cancelled', result: null, steps: [{ name: 'dns', ok: true }, { name: 'tcp', ok: true }] });
    emulator.control.delayResponses(null);
    // It stays cancelled (the tester's own end, after the abort, is not taken for a result).
    const later = await api.connections.testRun({ workspaceId: ws.id, runId: started.id, afterVersion: cancelled.version, waitMs: 300 });
    expect(later).toMatchObject({ state: 'cancelled', version: cancelled.version, result: null });
    const status = await api.connections.status({ workspaceId: ws.id, connectionId: connection.id });
    expect(status).toMatchObject({ status: 'unknown', lastTestedAt: null });
    // Cancelling an ended run changes nothing.
    expect(await api.connections.testCancel({ workspaceId: ws.id, runId: started.id })).toMatchObject({ state: 'cancelled', version: cancelled.version });
  });

  it('a run is its starter’s: another member, another workspace’s owner and a token are told it does not exist', async () => {
    const { ws, api, connection } = await setup();
    const started = await api.connections.testStart({ workspaceId: ws.id, connectionId: connection.id });
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const adminApi = h.caller(admin.principal);
    const stranger = await h.user('stranger');
    const otherWs = await h.workspace(stranger);
    const token = await h.token(ws.id, 'Owner');
    for (const attempt of [
      adminApi.connections.testRun({ workspaceId: ws.id, runId: started.id }),
      adminApi.connections.testCancel({ workspaceId: ws.id, runId: started.id }),
      h.caller(stranger.principal).connections.testRun({ workspaceId: otherWs.id, runId: started.id }),
      h.caller(token.principal).connections.testCancel({ workspaceId: ws.id, runId: started.id }),
    ]) {
      expect(await problemOf(attempt)).toMatchObject({ code: 'NOT_FOUND', error: 'not_found' });
    }
    // The starter still reads it, and it was not cancelled by anyone else.
    const seen = await watch(api, ws.id, started.id);
    expect(seen.at(-1)).toMatchObject({ state: 'passed' });
  });

  it('a draft test streams too and never carries the password it was given', async () => {
    const { ws, api } = await setup();
    const started = await api.connections.testDraftStart({
      workspaceId: ws.id,
      type: 'mssql',
      host: '127.0.0.1',
      port: emulator.port,
      database: 'appdb',
      user: 'app',
      password: WRONG_PASSWORD,
      options: { tls: false },
    });
    const seen = await watch(api, ws.id, started.id);
    expect(seen.at(-1)).toMatchObject({ state: 'failed', result: { success: false, details: { reason: 'authentication_failed', error_code: '18456' } } });
    expect(seen.at(-1)!.steps.map((step) => [step.name, step.ok, step.notRun ?? false])).toEqual([
      ['dns', true, false],
      ['tcp', true, false],
      ['tls', false, true],
      ['login', false, false],
      ['query', false, true],
    ]);
    expect(JSON.stringify({ started, seen, audit: await h.auditRows(ws.id) })).not.toContain(WRONG_PASSWORD);
  });

  it('bad run ids are a 400 naming the field', async () => {
    const { ws, api } = await setup();
    const problem = await problemOf(api.connections.testRun({ workspaceId: ws.id, runId: 'not-a-run' }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    expect(JSON.stringify(problem.details)).toContain('runId');
  });
});

describe('watched connection tests are bounded: a cap per person, and runs expire', () => {
  let h: Harness;
  let now = Date.parse('2026-12-04T12:00:00Z');

  beforeAll(async () => {
    h = await createHarness(target, { connectionTestRuns: { maxPerOwner: 2, ttlMs: 60_000, now: () => now } });
  });

  afterAll(async () => {
    await h.dispose();
  });

  it('refuses a third running test with 429, forgets the oldest ended one, and expires ended runs', async () => {
    const { ws, api, connection } = await ownerWithConnection(h);
    const ref = { workspaceId: ws.id, connectionId: connection.id };
    emulator.control.delayResponses(Infinity);
    const first = await api.connections.testStart(ref);
    const second = await api.connections.testStart(ref);
    expect(await problemOf(api.connections.testStart(ref))).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited' });
    // Someone else has their own allowance.
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const theirs = await h.caller(admin.principal).connections.testStart(ref);
    await h.caller(admin.principal).connections.testCancel({ workspaceId: ws.id, runId: theirs.id });

    await api.connections.testCancel({ workspaceId: ws.id, runId: first.id });
    now += 1_000;
    await api.connections.testCancel({ workspaceId: ws.id, runId: second.id });
    emulator.control.delayResponses(null);
    now += 5_000;
    // Two ended runs held: a new one forgets the oldest.
    const third = await api.connections.testStart(ref);
    expect(await problemOf(api.connections.testRun({ workspaceId: ws.id, runId: first.id }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await api.connections.testRun({ workspaceId: ws.id, runId: second.id })).toMatchObject({ state: 'cancelled' });
    await watch(api, ws.id, third.id);
    // An ended run can be read until ttlMs after it ended, then it is gone.
    now += 55_000;
    expect(await problemOf(api.connections.testRun({ workspaceId: ws.id, runId: second.id }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await api.connections.testRun({ workspaceId: ws.id, runId: third.id })).toMatchObject({ state: 'passed' });
    now += 5_000;
    expect(await problemOf(api.connections.testRun({ workspaceId: ws.id, runId: third.id }))).toMatchObject({ code: 'NOT_FOUND' });
    emulator.control.clearFaults();
  });
});
