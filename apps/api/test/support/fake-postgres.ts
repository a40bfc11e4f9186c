// A server that speaks just enough of the PostgreSQL protocol to receive a password: it answers
// the startup message with a cleartext-password request, records the password it is sent, then
// refuses the login. Tests use it to see which passwords reach which address.
import { createServer, type Server, type Socket } from 'node:net';

export interface ReceivedLogin {
  user: string | undefined;
  database: string | undefined;
  password: string;
}

export interface FakePostgres {
  host: string;
  port: number;
  /** Every password received, in order. */
  readonly logins: ReceivedLogin[];
  /** TCP connections accepted (a password or not). */
  readonly connections: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function cleartextPasswordRequest(): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(3, 0);
  return message('R', body);
}

function loginRefused(): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed'].map((field) => Buffer.from(`${field}\0`, 'utf8'));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

function startupParameters(body: Buffer): Record<string, string> {
  const parts = body.toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i];
    if (key) parameters[key] = parts[i + 1] ?? '';
  }
  return parameters;
}

function serve(socket: Socket, logins: ReceivedLogin[]) {
  let buffered = Buffer.alloc(0);
  let started = false;
  let parameters: Record<string, string> = {};
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!started) {
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        const body = buffered.subarray(8, length);
        buffered = buffered.subarray(length);
        if (code === SSL_REQUEST) {
          socket.write('N');
          continue;
        }
        if (code !== PROTOCOL_3) {
          socket.destroy();
          return;
        }
        started = true;
        parameters = startupParameters(body);
        socket.write(cleartextPasswordRequest());
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < length + 1) return;
      const type = String.fromCharCode(buffered[0] ?? 0);
      const body = buffered.subarray(5, length + 1);
      buffered = buffered.subarray(length + 1);
      if (type === 'p') {
        logins.push({ user: parameters.user, database: parameters.database, password: body.toString('utf8').replace(/\0$/, '') });
        socket.end(loginRefused());
        return;
      }
    }
  });
}

export async function startFakePostgres(host = '127.0.0.1'): Promise<FakePostgres> {
  const logins: ReceivedLogin[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, logins);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake PostgreSQL server has no TCP address');
  return {
    host,
    port: address.port,
    logins,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
