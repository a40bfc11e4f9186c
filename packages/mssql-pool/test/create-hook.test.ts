// onPoolCreated: a hook that runs once per new pool, before any caller gets it (the API's schema
// version check on connect, F5), and whose failure never fails the pool.
import type mssql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager } from '../src/index';
import { recordEvents, uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('onPoolCreated hook', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs once per pool, on the driver pool, before concurrent callers get their leases', async () => {
    const m = new WorkspacePoolManager();
    const order: string[] = [];
    const seen: string[] = [];
    const unregister = m.onPoolCreated(async (event, pool) => {
      const result = await (pool as mssql.ConnectionPool).request().query<{ one: number }>('SELECT 1 AS one');
      seen.push(`${event.workspaceId}:${result.recordset[0]?.one}`);
      order.push('hook');
    });
    const target = server.target({ workspaceId: uniqueId('ws') });
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await m.withConnection(target, () => {
          order.push('caller');
        });
      }),
    );
    expect(seen).toEqual([`${target.workspaceId}:1`]);
    expect(order[0]).toBe('hook');
    expect(order.filter((o) => o === 'caller')).toHaveLength(20);

    // A second workspace gets its own run; after unregistering, new pools run nothing.
    await m.withConnection(server.target({ workspaceId: uniqueId('ws') }), () => undefined);
    expect(seen).toHaveLength(2);
    unregister();
    await m.withConnection(server.target({ workspaceId: uniqueId('ws') }), () => undefined);
    expect(seen).toHaveLength(2);
    await m.close();
  });

  it('a throwing hook is reported as an error event and the pool still serves queries', async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    m.onPoolCreated(() => {
      throw new Error('schema check failed');
    });
    const target = server.target({ workspaceId: uniqueId('ws') });
    const { rows } = await m.query<{ one: number }>(target, 'SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
    const errors = events.filter((e) => e.name === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.payload).toMatchObject({ workspaceId: target.workspaceId, error: expect.objectContaining({ message: 'schema check failed' }) });
    expect(m.counters.driverErrors).toBe(1);
    expect(m.stats().pools[0]).toMatchObject({ state: 'ready' });
    await m.close();
  });
});
