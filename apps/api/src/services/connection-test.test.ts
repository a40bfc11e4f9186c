import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionTester, DEFAULT_TEST_DEADLINE_MS, DEFAULT_TEST_MAX_DEADLINE_MS, type ConnectionTestTarget } from './connection-test';
import { OutboundPolicy } from './outbound-policy';

// The connection's own connect timeout is its test's deadline (a slow-to-wake server can be saved
// with "Test and save"), never shorter than the default and never longer than the server's maximum
// (CONNECTION_TEST_MAX_TIMEOUT_MS).
const policy = new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] });
const target = (port: number, connectTimeoutMs?: number): ConnectionTestTarget => ({
  type: 'mssql',
  host: '127.0.0.1',
  port,
  database: 'app',
  user: 'app',
  password: 'not-used',
  options: connectTimeoutMs === undefined ? {} : { connectTimeoutMs },
});

describe('ConnectionTester deadline', () => {
  it('is the default without a setting, the connect timeout when longer, capped by the maximum', () => {
    const tester = new ConnectionTester(policy);
    expect(tester.deadlineOf(target(1433))).toBe(DEFAULT_TEST_DEADLINE_MS);
    expect(tester.deadlineOf(target(1433, 1_000))).toBe(DEFAULT_TEST_DEADLINE_MS);
    expect(tester.deadlineOf(target(1433, 20_000))).toBe(20_000);
    expect(tester.deadlineOf(target(1433, 600_000))).toBe(DEFAULT_TEST_MAX_DEADLINE_MS);
    expect(new ConnectionTester(policy, 5_000, 30_000).deadlineOf(target(1433, 45_000))).toBe(30_000);
    // A caller's explicit deadline wins.
    expect(tester.deadlineOf(target(1433, 20_000), { deadlineMs: 2_000 })).toBe(2_000);
  });

  describe('against a server that accepts and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up at the maximum, not at a longer connect timeout', async () => {
      const port = (server.address() as { port: number }).port;
      const tester = new ConnectionTester(policy, 200, 600);
      const started = performance.now();
      const result = await tester.run(target(port, 30_000));
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ success: false, details: { reason: 'timeout' } });
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(5_000);
    });
  });
});
