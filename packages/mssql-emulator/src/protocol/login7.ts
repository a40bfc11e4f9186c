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
  /** TypeFlags fReadOnlyIntent: the client's ApplicationIntent=ReadOnly. */
  readOnlyIntent: boolean;
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

/** TDS versions as LOGIN7 and LOGINACK carry them. */
export const TdsVersion = {
  V7_1: 0x71000001,
  V7_2: 0x72090002,
  V7_3_A: 0x730a0003,
  V7_3_B: 0x730b0003,
  V7_4: 0x74000004,
  /** What a TDS 8.0 (`encrypt: strict`) client puts in LOGIN7; the server still acknowledges 7.4. */
  V8_0: 0x08000000,
} as const;

/** The oldest version the emulator answers; older clients are refused at login. */
export const OLDEST_TDS_VERSION = TdsVersion.V7_3_A;

/** "7.1", "7.3", ... for messages. */
export function tdsVersionName(version: number): string {
  if (version === TdsVersion.V8_0) return '8.0';
  return `${(version >>> 28) & 0xf}.${(version >>> 24) & 0xf}`;
}

/**
 * The version a login goes on with, as SQL Server picks it: the lower of the client's and the
 * server's (7.4; TDS 8.0 logins are acknowledged as 7.4 too), or undefined when the client's is
 * older than the emulator encodes tokens for (7.1 and 7.2 lack the date types and the 8-byte
 * DONE row count the emulator always sends).
 */
export function negotiateTdsVersion(clientVersion: number): number | undefined {
  if (clientVersion === TdsVersion.V8_0 || clientVersion >= TdsVersion.V7_4) return TdsVersion.V7_4;
  if (clientVersion >= OLDEST_TDS_VERSION) return clientVersion;
  return undefined;
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
    readOnlyIntent: ((payload[26] as number) & 0x20) !== 0,
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
