/**
 * TLS for TDS, both ways SQL Server speaks it.
 *
 * TDS 7.x, after PRELOGIN agreed on encryption: the handshake records travel as PRELOGIN packet
 * payloads, then TLS records flow on the socket directly and carry the TDS packets, for the rest
 * of the connection or (ENCRYPT_OFF) for the LOGIN7 message only. The switch is read from the
 * records themselves: a TLS 1.2 handshake is made of handshake (22) and change-cipher-spec (20)
 * records, and the first application-data record (23) comes after it. So the server wraps its
 * records until it writes application data, and reads PRELOGIN packets (type 0x12, never a TLS
 * record type) until the client's first bare record. TLS 1.3 would hide its handshake in
 * application-data records; SQL Server speaks it only with TDS 8.
 *
 * TDS 8.0 (`encrypt: 'strict'`): the client opens with a TLS ClientHello (first byte 0x16) and
 * ALPN `tds/8.0`; every TDS message, PRELOGIN included, then travels inside TLS.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { HEADER_LENGTH, MAX_PACKET_SIZE, PacketType, frameMessage } from './packets';

const RecordType = { CHANGE_CIPHER_SPEC: 20, HANDSHAKE: 22 } as const;
/** First byte of a TLS ClientHello record: a TDS 8.0 client. */
export const TLS_HANDSHAKE_RECORD = RecordType.HANDSHAKE;
/** Packet size of the wrapped handshake, before LOGIN7 negotiates one. */
const HANDSHAKE_PACKET_SIZE = 4096;
export const TDS8_ALPN = 'tds/8.0';

/**
 * TLS records framed as TDS wants them, over a TDS connection's socket: this side's handshake
 * records wrapped in PRELOGIN packets, the peer's unwrapped. Symmetric, so a test's raw client
 * uses it too.
 */
export class TdsTlsTransport extends Duplex {
  private clientBare: boolean;
  private serverBare: boolean;
  /** Handed back to plaintext: nothing more is read from or written to the socket. */
  private detached = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => this.push(null);

  constructor(
    private readonly socket: Socket,
    private readonly spid: number,
    options: { bare: boolean; initial?: Buffer | undefined },
  ) {
    super();
    this.clientBare = options.bare;
    this.serverBare = options.bare;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    if (options.initial) this.receive(options.initial);
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

  /** Stops carrying TLS: the socket is left as it is, for plaintext TDS (ENCRYPT_OFF after LOGIN7). */
  detach(): void {
    this.detached = true;
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.detached) {
      callback();
      return;
    }
    if (!this.serverBare && chunk[0] !== RecordType.HANDSHAKE && chunk[0] !== RecordType.CHANGE_CIPHER_SPEC) this.serverBare = true;
    this.socket.write(this.serverBare ? chunk : frameMessage(PacketType.PRELOGIN, chunk, HANDSHAKE_PACKET_SIZE, this.spid), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.detached) callback();
    else this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.detached) {
      this.detach();
      this.socket.destroy();
    }
    callback(error);
  }
}

/** A TLS session over a TDS connection; `detach()` drops it and leaves the socket in plaintext. */
export interface TdsTls {
  readonly cleartext: TLSSocket;
  detach(): void;
}

/**
 * TDS 7.x: takes the socket over for TLS (call right after writing the PRELOGIN response that
 * agreed on encryption, with no `data` listener left on it); `cleartext` carries TDS packets
 * from then on.
 */
export function startTdsTls(socket: Socket, spid: number, secureContext: SecureContext): TdsTls {
  const transport = new TdsTlsTransport(socket, spid, { bare: false });
  const cleartext = new TLSSocket(transport, { isServer: true, secureContext });
  return {
    cleartext,
    detach() {
      transport.detach();
      cleartext.destroy();
    },
  };
}

/**
 * TDS 8.0: TLS from the first byte (`initial`, already read from the socket) with ALPN `tds/8.0`
 * offered; a client that offers other protocols only is refused by the handshake.
 */
export function startStrictTls(socket: Socket, spid: number, secureContext: SecureContext, initial: Buffer): TLSSocket {
  return new TLSSocket(new TdsTlsTransport(socket, spid, { bare: true, initial }), { isServer: true, secureContext, ALPNProtocols: [TDS8_ALPN] });
}

/** TDS 7.x: TLS 1.2 only (see the file comment). */
export const TDS7_TLS_VERSIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
/** TDS 8.0: TLS 1.2 or 1.3. */
export const TDS8_TLS_VERSIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } as const;
