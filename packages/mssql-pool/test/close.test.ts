import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolClosedError, WorkspacePoolManager } from '../src/index';
import { uniqueId, waitFor } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('close()', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    server.setLatency(0);
    await server.close();
  });

  it('lets in-flight queries finish within the deadline, then closes every connection', async () => {
    const m = new WorkspacePoolManager();
    const targets = [1, 2, 3].map(() => server.target({ workspaceId: uniqueId('ws') }));
    await Promise.all(targets.map((t) => m.query(t, 'SELECT 1')));
    server.setLatency(300);
    const inFlight = targets.flatMap((t) => [m.query(t, 'SELECT 1 AS one'), m.query(t, 'SELECT 1 AS one')]);
    await new Promise((r) => setTimeout(r, 30));
    const closing = m.close({ deadlineMs: 10_000 });
    expect(m.close()).toBe(closing);
    await expect(m.acquire(targets[0]!)).rejects.toBeInstanceOf(PoolClosedError);
    await closing;
    const results = await Promise.all(inFlight);
    expect(results.every((r) => r.rows[0]?.one === 1)).toBe(true);
    server.setLatency(0);
    await waitFor(() => server.sessions() === 0, 5000, 'server sessions to close');
  });

  it('cuts work still running at the deadline instead of waiting forever', async () => {
    const m = new WorkspacePoolManager();
    const target = server.target({ workspaceId: uniqueId('ws'), options: { requestTimeoutMs: 60_000 } });
    await m.query(target, 'SELECT 1');
    server.setLatency(20_000);
    const stuck = m.query(target, 'SELECT 1').catch((e: unknown) => e);
    // A lease held and never released must not block shutdown either.
    const forgotten = await m.acquire(target);
    await new Promise((r) => setTimeout(r, 30));
    const started = performance.now();
    await m.close({ deadlineMs: 200 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await stuck).toBeInstanceOf(Error);
    expect(forgotten.released).toBe(false);
    server.setLatency(0);
    await waitFor(() => server.sessions() === 0, 5000, 'server sessions to close');
  });
});
