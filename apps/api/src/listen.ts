// Listening for bursts of new connections. libuv (Node 20 and later) accepts one connection per
// listening socket per turn of the event loop (libuv PR 3696), and with 1,000 busy keep-alive
// clients a turn takes tens of milliseconds: a burst of new connections (a load balancer
// reconnecting after a deploy, a load test) then waits seconds in the kernel's accept queue while
// the first ones are served. On Linux, more listening sockets on the one port (SO_REUSEPORT: the
// kernel spreads new connections over them) accept that many per turn; each hands what it accepts
// to the one HTTP server, so timeouts, keep-alive and closing stay the server's.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';

export interface ListenOptions {
  port: number;
  host: string;
  backlog: number;
  /** Listening sockets on the port; 1 (a plain listen) where SO_REUSEPORT is not Linux's. */
  sockets: number;
}

export interface Listening {
  port: number;
  /** Stops the extra sockets (the HTTP server itself is closed by its owner). */
  closeAcceptors(): Promise<void>;
}

async function listen(server: NetServer, options: { port: number; host: string; backlog: number; reusePort: boolean }): Promise<void> {
  server.listen(options);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
}

/**
 * Listens with `options.sockets` sockets. A port already taken still fails with EADDRINUSE: an
 * exclusive bind is tried first, since sockets that share a port would otherwise let a second
 * instance started by mistake take half of the first one's connections.
 */
export async function listenForBursts(server: Server, options: ListenOptions): Promise<Listening> {
  const sockets = process.platform === 'linux' ? options.sockets : 1;
  if (sockets <= 1) {
    await listen(server, { ...options, reusePort: false });
    return { port: (server.address() as AddressInfo).port, closeAcceptors: async () => {} };
  }
  if (options.port !== 0) {
    const probe = createServer();
    await listen(probe, { ...options, reusePort: false });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  await listen(server, { ...options, reusePort: true });
  const { port } = server.address() as AddressInfo;
  const acceptors: NetServer[] = [];
  try {
    for (let i = 1; i < sockets; i++) {
      const acceptor = createServer((socket) => server.emit('connection', socket));
      await listen(acceptor, { ...options, port, reusePort: true });
      acceptors.push(acceptor);
    }
  } catch (error) {
    await Promise.all(acceptors.map((acceptor) => new Promise<void>((resolve) => acceptor.close(() => resolve()))));
    throw error;
  }
  return {
    port,
    async closeAcceptors() {
      // close() waits for the connections an acceptor made, which the HTTP server closes.
      await Promise.all(acceptors.map((acceptor) => new Promise<void>((resolve) => acceptor.close(() => resolve()))));
    },
  };
}
