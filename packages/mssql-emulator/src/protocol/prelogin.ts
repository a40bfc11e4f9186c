import { TdsWriter } from './buffer';

const Option = { VERSION: 0, ENCRYPTION: 1, INSTOPT: 2, THREADID: 3, MARS: 4, TERMINATOR: 0xff } as const;
export const Encryption = { OFF: 0, ON: 1, NOT_SUP: 2, REQ: 3 } as const;

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

/**
 * Answers with our version, the encryption decision (ENCRYPT_ON: a TLS handshake follows;
 * ENCRYPT_NOT_SUP: plaintext) and MARS off.
 */
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
