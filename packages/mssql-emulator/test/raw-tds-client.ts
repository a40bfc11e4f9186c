/**
 * A bare TDS 7.4 client that sends the PRELOGIN ENCRYPTION value it is told to, as FreeTDS and
 * ODBC drivers do (tedious only ever sends ON or NOT_SUP): ENCRYPT_OFF asks for the login packet
 * alone to be encrypted, ENCRYPT_REQ is FreeTDS's `encryption = require`.
 */
import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { MessageAssembler, PacketType, frameMessage, type Message } from '../src/protocol/packets';
import { buildPreloginResponse, parsePrelogin } from '../src/protocol/prelogin';
import { TdsTlsTransport } from '../src/protocol/tls';

const PACKET_SIZE = 4096;
const CLIENT_VERSION = { major: 12, minor: 0, build: 0 };

function login7(user: string, password: string, database: string): Buffer {
  const fields = ['raw-client', user, password, 'raw-tds-client', '127.0.0.1', '', 'raw-tds-client', '', database];
  const header = Buffer.alloc(94);
  let offset = 94;
  const data: Buffer[] = [];
  fields.forEach((value, i) => {
    let bytes = Buffer.from(value, 'utf16le');
    if (i === 2) bytes = Buffer.from(bytes.map((b) => (((b << 4) & 0xf0) | (b >> 4)) ^ 0xa5));
    header.writeUInt16LE(offset, 36 + i * 4);
    header.writeUInt16LE(value.length, 38 + i * 4);
    data.push(bytes);
    offset += bytes.length;
  });
  header.writeUInt32LE(0x74000004, 4);
  header.writeUInt32LE(PACKET_SIZE, 8);
  header.writeUInt32LE(process.pid, 16);
  // SSPI, attach-db and change-password fields: empty, at the end of the data.
  for (const at of [78, 82, 86]) header.writeUInt16LE(offset, at);
  const payload = Buffer.concat([header, ...data]);
  payload.writeUInt32LE(payload.length, 0);
  return payload;
}

function sqlBatch(sql: string): Buffer {
  const headers = Buffer.alloc(22);
  headers.writeUInt32LE(22, 0);
  headers.writeUInt32LE(18, 4);
  headers.writeUInt16LE(2, 8);
  headers.writeUInt32LE(1, 18);
  return Buffer.concat([headers, Buffer.from(sql, 'utf16le')]);
}

/** One connection; every method is one request/response exchange. */
export class RawTdsClient {
  private transport: Socket | TLSSocket;
  private tlsTransport: TdsTlsTransport | undefined;
  private readonly assembler = new MessageAssembler();
  private readonly inbox: Message[] = [];
  private waiter: ((m: Message | Error) => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    for (const m of this.assembler.push(chunk)) this.deliver(m);
  };
  private readonly onGone = () => this.deliver(new Error('the server closed the connection'));
  /** The server's PRELOGIN ENCRYPTION answer. */
  answer: number | undefined;

  private constructor(private readonly socket: Socket) {
    this.transport = socket;
    socket.on('data', this.onData);
    socket.on('close', this.onGone);
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawTdsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawTdsClient(socket)));
      socket.once('error', reject);
    });
  }

  private deliver(m: Message | Error): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(m);
    } else if (!(m instanceof Error)) this.inbox.push(m);
  }

  private next(): Promise<Message> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.socket.destroyed) return Promise.reject(new Error('the server closed the connection'));
    return new Promise((resolve, reject) => {
      this.waiter = (m) => (m instanceof Error ? reject(m) : resolve(m));
    });
  }

  private write(type: number, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.transport.write(frameMessage(type, payload, PACKET_SIZE, 0), (e) => (e ? reject(e) : resolve())));
  }

  /** Sends PRELOGIN with `encryption`; resolves to the server's answer. */
  async prelogin(encryption: number): Promise<number> {
    await this.write(PacketType.PRELOGIN, buildPreloginResponse(CLIENT_VERSION, encryption));
    this.answer = parsePrelogin((await this.next()).payload).encryption;
    return this.answer as number;
  }

  /** The TLS handshake inside PRELOGIN packets, verifying the server against `ca`. */
  async startTls(ca: string, servername = 'localhost'): Promise<string> {
    this.socket.off('data', this.onData);
    const transport = new TdsTlsTransport(this.socket, 0, { bare: false });
    this.tlsTransport = transport;
    const cleartext = tlsConnect({ socket: transport, ca, servername, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    await new Promise<void>((resolve, reject) => {
      cleartext.once('secureConnect', resolve);
      cleartext.once('error', reject);
    });
    cleartext.on('data', this.onData);
    cleartext.on('error', () => undefined);
    this.transport = cleartext;
    return cleartext.getProtocol() ?? '';
  }

  /**
   * LOGIN7; with `loginOnly` the TLS session ends once it is sent and the answer is read in
   * plaintext (ENCRYPT_OFF). Resolves to whether the server acknowledged the login.
   */
  async login(user: string, password: string, database: string, options: { loginOnly?: boolean } = {}): Promise<boolean> {
    await this.write(PacketType.LOGIN7, login7(user, password, database));
    if (options.loginOnly) {
      const cleartext = this.transport as TLSSocket;
      cleartext.off('data', this.onData);
      this.tlsTransport?.detach();
      cleartext.destroy();
      this.socket.on('data', this.onData);
      this.transport = this.socket;
    }
    const response = await this.next();
    return response.payload.includes(Buffer.from('Microsoft SQL Server', 'utf16le'));
  }

  /** Runs a batch; resolves to the response's bytes (strings in it are UTF-16LE). */
  async query(sql: string): Promise<Buffer> {
    await this.write(PacketType.SQL_BATCH, sqlBatch(sql));
    return (await this.next()).payload;
  }

  /** Resolves once the server has closed the connection. */
  closed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.transport.destroy();
    this.socket.destroy();
  }
}
