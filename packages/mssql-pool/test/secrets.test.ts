import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type ConnectionTarget } from '../src/index';
import { recordEvents, uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('secrets', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('never reveals a password in objects, stats, events, errors or the driver pool', async () => {
    const m = new WorkspacePoolManager({ failureThreshold: 1, retryBaseDelayMs: 1, circuitResetMs: 60_000 });
    const events = recordEvents(m);
    const good = server.target({ workspaceId: uniqueId('ws') });
    const wrongPassword = `Wr0ng-${uniqueId('pw')}`;
    const bad: ConnectionTarget = { ...good, workspaceId: uniqueId('ws'), password: wrongPassword };
    const surfaces: string[] = [];
    const show = (value: unknown) => {
      surfaces.push(inspect(value, { depth: 10, showHidden: false }));
      try {
        surfaces.push(JSON.stringify(value) ?? '');
      } catch {
        // circular driver objects cannot be stringified; inspect covered them
      }
    };

    const lease = await m.acquire(good);
    show(lease);
    show(lease.pool);
    show((lease.pool as unknown as { config: unknown }).config);
    show(Object.keys(lease));
    show({ ...lease });
    show(m);
    show(m.stats());
    lease.release();

    const createError = await m.acquire(bad).catch((e: unknown) => e);
    const circuitError = await m.acquire(bad).catch((e: unknown) => e);
    const optionsError = await m.acquire({ ...bad, options: { poolSize: -1 } }).catch((e: unknown) => e);
    for (const error of [createError, circuitError, optionsError]) {
      show(error);
      surfaces.push(String(error), (error as Error).stack ?? '');
    }
    show(events);
    show(m.stats());
    await m.close();

    for (const text of surfaces) {
      expect(text).not.toContain(server.password);
      expect(text).not.toContain(wrongPassword);
    }
  });
});
