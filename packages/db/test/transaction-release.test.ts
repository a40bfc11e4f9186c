// A transaction whose BEGIN never answers (the server froze, the network dropped) must give its
// pooled connection back: drizzle's node-postgres driver ran BEGIN outside its try/finally, so the
// client leaked, every later checkout of a full pool waited, and close() never returned. Fixed by
// patches/drizzle-orm@0.45.4.patch; this test holds it on a one-connection pool behind a gate that
// can stop answering.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index';

const serverUrl = process.env.DATABASE_URL;
if (process.env.CI === 'true' && !serverUrl) {
  it('needs DATABASE_URL in CI', () => {
    throw new Error('DATABASE_URL not set: CI must run the transaction release test against PostgreSQL');
  });
}

/** Forwards to PostgreSQL; while `silent`, bytes from the client are swallowed (a server that answers nothing). */
function startGate(target: URL): Promise<{ port: number; silent: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const gate = { port: 0, silent: false, close: () => Promise.resolve() };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (!gate.silent) upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      gate.port = (server.address() as { port: number }).port;
      gate.close = () =>
        new Promise<void>((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        });
      resolve(gate);
    });
  });
}

describe.runIf(serverUrl !== undefined)('a transaction whose BEGIN gets no answer (PostgreSQL)', () => {
  let gate: Awaited<ReturnType<typeof startGate>>;
  let database: Database;

  beforeAll(async () => {
    const target = new URL(serverUrl!);
    gate = await startGate(target);
    const url = new URL(serverUrl!);
    url.hostname = '127.0.0.1';
    url.port = String(gate.port);
    database = await createDatabase({ url: url.toString(), poolSize: 1, queryTimeoutMs: 500, connectTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    await gate?.close();
  });

  it('fails within the read deadline, then the pool serves the next transaction and closes', async () => {
    // The pool's one connection is open and idle.
    await database.db.execute(sql`SELECT 1`);
    gate.silent = true;
    await expect(database.db.transaction(async (tx) => tx.execute(sql`SELECT 1`))).rejects.toThrow(/Failed query: begin/);
    gate.silent = false;
    // With the connection leaked, this would wait for a free client forever (the test's timeout).
    const result = await database.db.transaction(async (tx) => tx.execute(sql`SELECT 41 + 1 AS answer`));
    expect((result as unknown as { rows: unknown[] }).rows).toEqual([{ answer: 42 }]);
    await database.close();
  }, 20_000);
});
