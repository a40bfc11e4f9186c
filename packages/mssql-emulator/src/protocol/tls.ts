/**
 * TLS inside TDS 7.x, as SQL Server does it after PRELOGIN answered ENCRYPT_ON: the handshake
 * records travel as PRELOGIN packet payloads, then TLS records flow on the socket directly and
 * carry the TDS packets for the rest of the connection.
 *
 * The switch is read from the records themselves: a TLS 1.2 handshake is made of handshake (22)
 * and change-cipher-spec (20) records, and the first application-data record (23) comes after
 * it. So the server wraps its records until it writes application data, and reads PRELOGIN
 * packets (type 0x12, never a TLS record type) until the client's first bare record. TLS 1.3
 * would hide its handshake in application-data records; SQL Server speaks it only with TDS 8.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { HEADER_LENGTH, MAX_PACKET_SIZE, PacketType, frameMessage } from './packets';

const RecordType = { CHANGE_CIPHER_SPEC: 20, HANDSHAKE: 22 } as const;
/** Packet size of the wrapped handshake, before LOGIN7 negotiates one. */
const HANDSHAKE_PACKET_SIZE = 4096;

/** TLS records framed as TDS wants them, over the client's socket. */
class TdsTlsTransport extends Duplex {
  private clientBare = false;
  private serverBare = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => this.push(null);

  constructor(
    private readonly socket: Socket,
    private readonly spid: number,
  ) {
    super();
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
  }

  private receive(chunk: Buffer): void {
    if (this.clientBare) {
      this.push(chunk);
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length > 0) {
      if (this.pending[0] !== PacketType.PRELOGIN) {
        this.clientBare = true;
        this.push(this.pending);
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.pending.length < HEADER_LENGTH) return;
      const length = this.pending.readUInt16BE(2);
      if (length < HEADER_LENGTH || length > MAX_PACKET_SIZE) {
        this.destroy(new Error(`bad PRELOGIN packet length ${length} during the TLS handshake`));
        return;
      }
      if (this.pending.length < length) return;
      this.push(this.pending.subarray(HEADER_LENGTH, length));
      this.pending = this.pending.subarray(length);
    }
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.serverBare && chunk[0] !== RecordType.HANDSHAKE && chunk[0] !== RecordType.CHANGE_CIPHER_SPEC) this.serverBare = true;
    this.socket.write(this.serverBare ? chunk : frameMessage(PacketType.PRELOGIN, chunk, HANDSHAKE_PACKET_SIZE, this.spid), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.destroy();
    callback(error);
  }
}

/**
 * Takes the socket over for TLS (call right after writing the ENCRYPT_ON PRELOGIN response, with
 * no `data` listener left on it); returns the cleartext side that carries TDS packets from then on.
 */
export function startTdsTls(socket: Socket, spid: number, secureContext: SecureContext): TLSSocket {
  return new TLSSocket(new TdsTlsTransport(socket, spid), { isServer: true, secureContext });
}

/** TLS 1.2 only: see the file comment. */
export const TDS7_TLS_VERSIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
