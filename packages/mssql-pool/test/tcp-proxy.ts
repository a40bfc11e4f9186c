import { connect, createServer, type Socket } from 'node:net';

/** A TCP forwarder on 127.0.0.1 that counts the connections it accepts: "was a socket opened?". */
export interface CountingProxy {
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Forwards every accepted connection to `targetPort`. `rewriteFirst`, when given, sees the client's
 * bytes until it returns what to send upstream for them (undefined = wait for more); the rest is
 * piped as it comes.
 */
async function startForwarder(targetPort: number, rewriteFirst?: (pending: Buffer) => Buffer | undefined): Promise<CountingProxy> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    if (rewriteFirst === undefined) {
      client.pipe(upstream);
      return;
    }
    let pending = Buffer.alloc(0);
    const onFirst = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const rewritten = rewriteFirst(pending);
      if (rewritten === undefined) return;
      client.off('data', onFirst);
      upstream.write(rewritten);
      client.pipe(upstream);
    };
    client.on('data', onFirst);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  return startForwarder(targetPort);
}

/**
 * A PostgreSQL "hot standby" for tests: forwards to a real server, but adds
 * `options=-c default_transaction_read_only=on` to each session's StartupMessage, so every session
 * through it is read-only (`SHOW transaction_read_only` = on), as on a standby. Plaintext only.
 */
export function startReadOnlyPostgresProxy(targetPort: number): Promise<CountingProxy> {
  return startForwarder(targetPort, (pending) => {
    if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return undefined;
    const length = pending.readInt32BE(0);
    const startup = pending.subarray(0, length);
    // Protocol 3.0 StartupMessage: length, version, then name\0value\0 pairs and a final \0.
    const extra = Buffer.from('options\0-c default_transaction_read_only=on\0');
    const rewritten = Buffer.concat([startup.subarray(0, length - 1), extra, Buffer.from([0])]);
    rewritten.writeInt32BE(rewritten.length, 0);
    return Buffer.concat([rewritten, pending.subarray(length)]);
  });
}

/** A port on 127.0.0.1 nothing listens on (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
