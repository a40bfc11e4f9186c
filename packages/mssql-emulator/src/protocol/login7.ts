import { ProtocolError } from './buffer';

export interface Login7Request {
  tdsVersion: number;
  packetSize: number;
  hostName: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  libraryName: string;
  language: string;
  database: string;
  /** True when the client asked for integrated (SSPI/NTLM) authentication, which we refuse. */
  integratedSecurity: boolean;
}

/** LOGIN7 passwords are obfuscated by swapping nibbles and XOR-ing with 0xA5. */
export function decodePassword(raw: Buffer): string {
  const out = Buffer.allocUnsafe(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const b = (raw[i] as number) ^ 0xa5;
    out[i] = ((b << 4) & 0xf0) | (b >> 4);
  }
  return out.toString('utf16le');
}

export function parseLogin7(payload: Buffer): Login7Request {
  if (payload.length < 94) throw new ProtocolError('LOGIN7 too short');
  const text = (offsetAt: number): string => {
    const offset = payload.readUInt16LE(offsetAt);
    const chars = payload.readUInt16LE(offsetAt + 2);
    if (chars === 0) return '';
    if (offset + chars * 2 > payload.length) throw new ProtocolError('LOGIN7 field out of range');
    return payload.toString('utf16le', offset, offset + chars * 2);
  };
  const pwOffset = payload.readUInt16LE(44);
  const pwChars = payload.readUInt16LE(46);
  if (pwOffset + pwChars * 2 > payload.length) throw new ProtocolError('LOGIN7 password out of range');
  return {
    tdsVersion: payload.readUInt32LE(4),
    packetSize: payload.readUInt32LE(8),
    integratedSecurity: ((payload[25] as number) & 0x80) !== 0,
    hostName: text(36),
    userName: text(40),
    password: decodePassword(payload.subarray(pwOffset, pwOffset + pwChars * 2)),
    appName: text(48),
    serverName: text(52),
    libraryName: text(60),
    language: text(64),
    database: text(68),
  };
}
