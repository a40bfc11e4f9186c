import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenForBursts, type Listening } from '../src/listen';

const HOST = '127.0.0.1';
const open: { server: Server; listening: Listening }[] = [];

afterEach(async () => {
  for (const { server, listening } of open.splice(0)) await close(server, listening);
});

async function close(server: Server, listening: Listening): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), listening.closeAcceptors()]);
}

async function start(sockets: number, port = 0) {
  let served = 0;
  const server = createHttpServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    served += 1;
    res.end('ok');
  });
  const listening = await listenForBursts(server, { port, host: HOST, backlog: 4_096, sockets });
  open.push({ server, listening });
  return { server, listening, served: () => served };
}

/** A keep-alive client that sends one request and resolves with the status line once answered. */
function ask(port: number): Promise<{ socket: Socket; statusLine: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: HOST }, () => socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.endsWith('ok')) resolve({ socket, statusLine: text.split('\r\n')[0] ?? '' });
    });
    socket.on('error', reject);
  });
}

async function portIsFree(port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen({ port, host: HOST, exclusive: true });
  try {
    await Promise.race([once(probe, 'listening'), once(probe, 'error').then(([error]) => Promise.reject(error as Error))]);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.platform === 'linux')('listening with several sockets on one port (Linux)', () => {
  it('answers a burst of 300 new connections through the one server, and closing frees the port and ends them', async () => {
    const { server, listening, served } = await start(16);
    const answers = await Promise.all(Array.from({ length: 300 }, () => ask(listening.port)));
    expect(answers.map((answer) => answer.statusLine)).toEqual(Array.from({ length: 300 }, () => 'HTTP/1.1 200 OK'));
    expect(served()).toBe(300);

    // Connections accepted by any of the sockets belong to the server: closing it ends every one.
    const ended = answers.map(({ socket }) => once(socket, 'close'));
    await close(server, listening);
    await Promise.all(ended);
    expect(await portIsFree(listening.port)).toBe(true);
  });

  it('refuses a port that is taken, by another program or by a second instance of this one', async () => {
    const other = createServer();
    other.listen({ port: 0, host: HOST });
    await once(other, 'listening');
    const taken = (other.address() as { port: number }).port;
    await expect(start(16, taken)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => other.close(() => resolve()));

    const first = await start(16);
    await expect(start(16, first.listening.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The refused second start took no share of the port: the first still answers every connection.
    const answers = await Promise.all(Array.from({ length: 50 }, () => ask(first.listening.port)));
    expect(first.served()).toBe(50);
    for (const { socket } of answers) socket.destroy();
  });
});

describe('listening with one socket', () => {
  it('answers and frees the port on close', async () => {
    const { server, listening, served } = await start(1);
    const { socket, statusLine } = await ask(listening.port);
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(served()).toBe(1);
    const ended = once(socket, 'close');
    await close(server, listening);
    await ended;
    expect(await portIsFree(listening.port)).toBe(true);
  });
});
