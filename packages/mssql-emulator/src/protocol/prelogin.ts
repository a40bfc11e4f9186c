import { TdsWriter } from './buffer';

const Option = { VERSION: 0, ENCRYPTION: 1, INSTOPT: 2, THREADID: 3, MARS: 4, TERMINATOR: 0xff } as const;
export const Encryption = { OFF: 0, ON: 1, NOT_SUP: 2, REQ: 3 } as const;

/**
 * How the server treats encryption, as SQL Server's settings do: `optional` (a certificate, Force
 * Encryption off), `forced` (Force Encryption on: answers ENCRYPT_REQ), `strict` (Force Strict
 * Encryption: TDS 8.0 only), `none` (no certificate: ENCRYPT_NOT_SUP to everyone).
 */
export type ServerEncryption = 'optional' | 'forced' | 'strict' | 'none';

/** What a TDS 7.x connection carries after PRELOGIN: nothing encrypted, only LOGIN7, or everything. */
export type NegotiatedChannel = 'none' | 'login-only' | 'tls';

/**
 * The server's ENCRYPTION answer to a client's, and what follows (MS-TDS 2.2.6.5): OFF/OFF
 * encrypts the login packet only; ON or REQ on either side encrypts everything; NOT_SUP from the
 * client leaves it in plaintext unless the server forces encryption, in which case the server
 * answers REQ and refuses to go on (`refuse`). A client that asks for encryption from a server
 * without it gets NOT_SUP; refusing that is the client's job (tedious: EENCRYPT).
 */
export function negotiateEncryption(server: Exclude<ServerEncryption, 'strict'>, requested: number | undefined): { answer: number; channel: NegotiatedChannel | 'refuse' } {
  // The top bit is ENCRYPT_CLIENT_CERT; a missing option counts as ENCRYPT_OFF.
  const client = requested === undefined ? Encryption.OFF : requested & 0x0f;
  if (server === 'none') return { answer: Encryption.NOT_SUP, channel: 'none' };
  const wantsTls = client === Encryption.ON || client === Encryption.REQ;
  if (server === 'forced') {
    if (client === Encryption.NOT_SUP) return { answer: Encryption.REQ, channel: 'refuse' };
    return { answer: wantsTls ? Encryption.ON : Encryption.REQ, channel: 'tls' };
  }
  if (wantsTls) return { answer: Encryption.ON, channel: 'tls' };
  if (client === Encryption.OFF) return { answer: Encryption.OFF, channel: 'login-only' };
  return { answer: Encryption.NOT_SUP, channel: 'none' };
}

export interface PreloginRequest {
  encryption: number | undefined;
  mars: number | undefined;
}

export function parsePrelogin(payload: Buffer): PreloginRequest {
  const result: PreloginRequest = { encryption: undefined, mars: undefined };
  let at = 0;
  while (at < payload.length && payload[at] !== Option.TERMINATOR) {
    if (at + 5 > payload.length) break;
    const token = payload[at] as number;
    const offset = payload.readUInt16BE(at + 1);
    const length = payload.readUInt16BE(at + 3);
    if (length > 0 && offset < payload.length) {
      if (token === Option.ENCRYPTION) result.encryption = payload[offset];
      if (token === Option.MARS) result.mars = payload[offset];
    }
    at += 5;
  }
  return result;
}

/** Answers with our version, the encryption decision (see negotiateEncryption) and MARS off. */
export function buildPreloginResponse(version: { major: number; minor: number; build: number }, encryption: number = Encryption.NOT_SUP): Buffer {
  const options: Array<{ token: number; data: Buffer }> = [];
  const v = Buffer.alloc(6);
  v[0] = version.major;
  v[1] = version.minor;
  v.writeUInt16BE(version.build, 2);
  v.writeUInt16BE(0, 4);
  options.push({ token: Option.VERSION, data: v });
  options.push({ token: Option.ENCRYPTION, data: Buffer.from([encryption]) });
  options.push({ token: Option.INSTOPT, data: Buffer.from([0]) });
  options.push({ token: Option.THREADID, data: Buffer.alloc(0) });
  options.push({ token: Option.MARS, data: Buffer.from([0]) });
  const w = new TdsWriter(64);
  let dataOffset = options.length * 5 + 1;
  for (const o of options) {
    w.u8(o.token).u16be(dataOffset).u16be(o.data.length);
    dataOffset += o.data.length;
  }
  w.u8(Option.TERMINATOR);
  for (const o of options) w.bytes(o.data);
  return w.toBuffer();
}
