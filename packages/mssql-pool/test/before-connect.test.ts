// `beforeConnect`: the outbound policy at every connect. The driver connects to the address the
// hook returned (never resolving the host name itself), a refusal opens no socket, and a pool
// whose host becomes refused later is closed with its callers told why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectRefusedError, PoolCreateError, WorkspacePoolManager, type ConnectRequest } from '../src/index';
import { databaseUrl, skipReason } from './env';
import { recordEvents, targetFromUrl, trackUnhandled, uniqueId, waitFor } from './helpers';
import { startCountingProxy, type CountingProxy } from './tcp-proxy';
import { startTdsServer, type TdsServer } from './tds';

class Refused extends Error {
  constructor(host: string) {
    super(`${host} is refused by the policy`);
    this.name = 'Refused';
  }
}

/** The messages of an error and its causes (node-mssql keeps tedious' in `originalError`). */
function causesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++) messages.push(e.message);
  return messages;
}

/** A policy whose answer the test changes: `allow` decides, every call is recorded. */
function policy(address = '127.0.0.1') {
  const calls: ConnectRequest[] = [];
  const state = { allow: true };
  return {
    calls,
    state,
    hook: (request: ConnectRequest) => {
      calls.push(request);
      if (!state.allow) throw new Refused(request.host);
      return address;
    },
  };
}

describe('beforeConnect (mssql through the real driver)', () => {
  let server: TdsServer;
  let proxy: CountingProxy;
  beforeAll(async () => {
    server = await startTdsServer();
    proxy = await startCountingProxy(server.port);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('connects to the vetted address, not the host name (which would not resolve)', async () => {
    const p = policy();
    const m = new WorkspacePoolManager({ beforeConnect: p.hook });
    try {
      const target = server.target({ host: 'sql.example.invalid', port: proxy.port });
      const { rows } = await m.query(target, 'SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
      expect(p.calls[0]).toEqual({ workspaceId: target.workspaceId, connectionId: 'c1', type: 'mssql', host: 'sql.example.invalid', port: proxy.port });
    } finally {
      await m.close();
    }
  });

  it('TLS verifies the host name, not the vetted address it connects to', async () => {
    const p = policy();
    const m = new WorkspacePoolManager({ beforeConnect: p.hook, failureThreshold: 1 });
    try {
      // The emulator's certificate names localhost and 127.0.0.1, and test runs trust it.
      const named = server.target({ host: 'localhost', port: proxy.port, options: { encrypt: true } });
      await expect(m.query(named, 'SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      // Another name vetted to the same address reaches the same server, but the certificate does
      // not name it: had the driver verified the address, this would pass.
      const other = server.target({ host: 'sql.example.invalid', port: proxy.port, options: { encrypt: true } });
      const error = await m.query(other, 'SELECT 1 AS one').catch((e: unknown) => e);
      expect(new Set(p.calls.map((c) => c.host))).toEqual(new Set(['localhost', 'sql.example.invalid']));
      expect(error).toBeInstanceOf(PoolCreateError);
      expect(causesOf(error).join(' | ')).toMatch(/sql\.example\.invalid/);
      expect(causesOf(error).join(' | ')).toMatch(/altnames|certificate/i);
    } finally {
      await m.close();
    }
  });

  it('a refusal opens no socket, is not retried, opens no circuit, and surfaces as ConnectRefusedError', async () => {
    const unhandled = trackUnhandled();
    const p = policy();
    p.state.allow = false;
    const m = new WorkspacePoolManager({ beforeConnect: p.hook, failureThreshold: 1 });
    try {
      const target = server.target({ port: proxy.port });
      const before = proxy.connections;
      const error = await m.acquire(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectRefusedError);
      expect((error as ConnectRefusedError).code).toBe('CONNECT_REFUSED');
      expect((error as ConnectRefusedError).cause).toBeInstanceOf(Refused);
      expect(proxy.connections).toBe(before);
      expect(m.stats().circuits).toEqual([]);
      expect(m.counters.connectRefusals).toBe(1);
      // Allowed again (an operator changed the policy): the next caller connects at once.
      p.state.allow = true;
      await expect(m.query(target, 'SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
      expect(proxy.connections).toBeGreaterThan(before);
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
      await m.close();
    }
  });

  it('a pool whose host becomes refused (DNS now points elsewhere) is closed and its callers refused', async () => {
    const p = policy();
    const m = new WorkspacePoolManager({ beforeConnect: p.hook, healthCheckBypassMs: 0 });
    const events = recordEvents(m);
    try {
      const target = server.target({ port: proxy.port });
      await m.query(target, 'SELECT 1 AS one');
      const opened = proxy.connections;
      p.state.allow = false;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(m.acquire(target)).rejects.toBeInstanceOf(ConnectRefusedError);
      await waitFor(() => events.some((e) => e.name === 'evict' && 'reason' in e.payload && e.payload.reason === 'refused'), 10_000, 'the refused pool to close');
      expect(m.poolCount).toBe(0);
      expect(proxy.connections).toBe(opened);
    } finally {
      await m.close();
    }
  });
});

const pgUrl = databaseUrl('PG_URL');
const mysqlUrl = databaseUrl('MYSQL_URL');

describe.each([
  { type: 'postgres' as const, url: pgUrl, name: 'PG_URL' },
  { type: 'mysql' as const, url: mysqlUrl, name: 'MYSQL_URL' },
])('beforeConnect ($type)', ({ type, url, name }) => {
  if (url === undefined) {
    it.skip(skipReason(name), () => undefined);
    return;
  }
  let proxy: CountingProxy;
  beforeAll(async () => {
    proxy = await startCountingProxy(Number(new URL(url).port || (type === 'postgres' ? 5432 : 3306)));
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('connects every pooled connection to the vetted address; a refusal opens no socket', async () => {
    const p = policy();
    const m = new WorkspacePoolManager({ beforeConnect: p.hook });
    try {
      const target = targetFromUrl(url, type, { workspaceId: uniqueId('ws'), connectionId: 'c1', host: `${type}.example.invalid`, port: proxy.port });
      const before = proxy.connections;
      await m.withConnection(target, async (lease) => {
        await Promise.all([lease.query('SELECT 1 AS one'), lease.query('SELECT 1 AS one'), lease.query('SELECT 1 AS one')]);
      });
      expect(proxy.connections - before).toBeGreaterThanOrEqual(1);
      expect(p.calls.length).toBe(proxy.connections - before);
      expect(p.calls.every((c) => c.host === `${type}.example.invalid`)).toBe(true);

      p.state.allow = false;
      const refusedTarget = { ...target, workspaceId: uniqueId('ws') };
      const opened = proxy.connections;
      await expect(m.acquire(refusedTarget)).rejects.toBeInstanceOf(ConnectRefusedError);
      expect(proxy.connections).toBe(opened);
    } finally {
      await m.close();
    }
  });
});
