/** TDS packet framing: 8-byte headers, messages reassembled by end-of-message. */

export const PacketType = {
  SQL_BATCH: 0x01,
  RPC: 0x03,
  TABULAR_RESULT: 0x04,
  ATTENTION: 0x06,
  BULK_LOAD: 0x07,
  FEDAUTH_TOKEN: 0x08,
  TRANSACTION_MANAGER: 0x0e,
  LOGIN7: 0x10,
  SSPI: 0x11,
  PRELOGIN: 0x12,
} as const;

export const PacketStatus = {
  EOM: 0x01,
  IGNORE: 0x02,
  RESET_CONNECTION: 0x08,
  RESET_CONNECTION_SKIP_TRAN: 0x10,
} as const;

export const HEADER_LENGTH = 8;
/** Largest packet we accept from a client; SQL Server's own ceiling. */
export const MAX_PACKET_SIZE = 32767;
/** Largest message we buffer before dropping the connection (bulk uploads are unsupported). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface Message {
  type: number;
  /** Status bits of the last packet (EOM, IGNORE) OR-ed with RESETCONNECTION of the first. */
  status: number;
  payload: Buffer;
}

/** Turns a byte stream into whole client messages. */
export class MessageAssembler {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private firstStatus = 0;
  private type = -1;

  /** Feeds bytes; returns every message completed by them. Throws on malformed framing. */
  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Message[] = [];
    while (this.pending.length >= HEADER_LENGTH) {
      const length = this.pending.readUInt16BE(2);
      if (length < HEADER_LENGTH || length > MAX_PACKET_SIZE) throw new Error(`bad packet length ${length}`);
      if (this.pending.length < length) break;
      const type = this.pending[0] as number;
      const status = this.pending[1] as number;
      const body = this.pending.subarray(HEADER_LENGTH, length);
      this.pending = this.pending.subarray(length);
      if (this.type === -1) {
        this.type = type;
        this.firstStatus = status;
      }
      this.parts.push(body);
      this.partsBytes += body.length;
      if (this.partsBytes > MAX_MESSAGE_BYTES) throw new Error('message too large');
      if (status & PacketStatus.EOM) {
        const payload = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
        out.push({
          type: this.type,
          status: status | (this.firstStatus & (PacketStatus.RESET_CONNECTION | PacketStatus.RESET_CONNECTION_SKIP_TRAN)),
          payload: Buffer.from(payload),
        });
        this.parts = [];
        this.partsBytes = 0;
        this.type = -1;
        this.firstStatus = 0;
      }
    }
    return out;
  }
}

/** Splits one server message into packets of at most `packetSize` bytes. */
export function frameMessage(type: number, payload: Buffer, packetSize: number, spid: number): Buffer {
  const room = packetSize - HEADER_LENGTH;
  const count = Math.max(1, Math.ceil(payload.length / room));
  const out = Buffer.allocUnsafe(payload.length + count * HEADER_LENGTH);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const start = i * room;
    const end = Math.min(payload.length, start + room);
    const last = i === count - 1;
    out[at] = type;
    out[at + 1] = last ? PacketStatus.EOM : 0;
    out.writeUInt16BE(end - start + HEADER_LENGTH, at + 2);
    out.writeUInt16BE(spid & 0xffff, at + 4);
    out[at + 6] = (i + 1) & 0xff;
    out[at + 7] = 0;
    payload.copy(out, at + HEADER_LENGTH, start, end);
    at += end - start + HEADER_LENGTH;
  }
  return out;
}
