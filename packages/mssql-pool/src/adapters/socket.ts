import { connect, Socket } from 'node:net';

/**
 * A TCP connection to an address already vetted by the manager's `beforeConnect`, for drivers that
 * take a socket factory (tedious' `connector`): resolves once connected, rejects on error or abort.
 */
export function connectSocket(address: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('connect aborted'));
      return;
    }
    const socket = connect({ host: address, port });
    const onAbort = () => {
      socket.destroy();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('connect aborted'));
    };
    const onError = (error: Error) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * A socket handed to a driver at once (mysql2's `stream` factory is synchronous) that connects
 * only after `addressOf()` has vetted where to: a refusal destroys it before any packet is sent.
 */
export function deferredSocket(addressOf: () => Promise<string>, port: number, options: { keepAlive?: boolean } = {}): Socket {
  const socket = new Socket();
  addressOf().then(
    (address) => {
      if (socket.destroyed) return;
      socket.connect({ host: address, port });
      socket.setNoDelay(true);
      if (options.keepAlive) socket.once('connect', () => socket.setKeepAlive(true));
    },
    (error: unknown) => socket.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return socket;
}
