import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 in front of a database: counts the connections it accepts ("was a
 * socket opened?") and can hold each new connection for `delayMs` before forwarding anything, the
 * way a server that is still waking up answers late.
 */
export interface TcpProxy {
  readonly port: number;
  readonly connections: number;
  delayMs: number;
  /** Resets (TCP RST) every connection open through the proxy, the way a killed server's host does. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, options: { delayMs?: number } = {}): Promise<TcpProxy> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    connections++;
    track(client);
    client.pause();
    const forward = () => {
      if (client.destroyed) return;
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.resume();
    };
    if (proxy.delayMs > 0) setTimeout(forward, proxy.delayMs).unref();
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const proxy: TcpProxy = {
    port: address.port,
    get connections() {
      return connections;
    },
    delayMs: options.delayMs ?? 0,
    reset() {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
