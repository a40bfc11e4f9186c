// Read intent (issue 18, item 3): a target with readOnlyIntent logs in with
// ApplicationIntent=ReadOnly (what a read-only routing listener sends to a readable secondary), in
// a pool of its own beside the connection's read-write pool; both answer to the connection's id.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolOptionsError, WorkspacePoolManager, type ConnectionTargetOf } from '../src/index';
import { uniqueId, waitFor } from './helpers';

describe('read intent', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: 'app', password: 'Intent-Passw0rd' }], databases: ['app'], preload: true });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('a read-intent target has its own pool whose logins say ApplicationIntent=ReadOnly', async () => {
    const m = new WorkspacePoolManager();
    const readWrite: ConnectionTargetOf<'mssql'> = {
      workspaceId: uniqueId('ws'),
      connectionId: 'c1',
      type: 'mssql',
      host: emulator.host,
      port: emulator.port,
      database: 'app',
      user: 'app',
      password: 'Intent-Passw0rd',
      options: { encrypt: false, poolSize: 2 },
    };
    const readOnly = { ...readWrite, options: { ...readWrite.options, readOnlyIntent: true } };
    await m.query(readWrite, 'SELECT 1');
    await m.query(readOnly, 'SELECT 1');
    // Alternating does not replace either pool: they live side by side.
    await m.query(readWrite, 'SELECT 1');
    await m.query(readOnly, 'SELECT 1');
    const pools = m.stats().pools;
    expect(pools.map((p) => [p.connectionId, p.readOnlyIntent, p.state]).sort()).toEqual([
      ['c1', false, 'ready'],
      ['c1', true, 'ready'],
    ]);
    expect(m.counters.poolsCreated).toBe(2);
    const intents = emulator.control.sessions().map((s) => s.readOnlyIntent);
    expect(intents).toContain(true);
    expect(intents).toContain(false);

    await m.invalidate({ workspaceId: readWrite.workspaceId, connectionId: 'c1' });
    expect(m.poolCount).toBe(0);
    await m.close();
    await waitFor(() => emulator.control.sessionCount === 0, 5_000, 'sessions to close');
  });

  it('is a SQL Server option', async () => {
    const m = new WorkspacePoolManager();
    const error = await m
      .acquire({ workspaceId: 'w', connectionId: 'c', type: 'postgres', host: '127.0.0.1', database: 'd', user: 'u', password: 'p', options: { readOnlyIntent: true } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolOptionsError);
    expect((error as PoolOptionsError).field).toBe('target.options.readOnlyIntent');
    await m.close();
  });
});
