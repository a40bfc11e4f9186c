/** Server token streams: everything the emulator sends inside a TABULAR_RESULT message. */
import { TdsWriter } from './buffer';
import { TdsVersion } from './login7';
import { type SqlValue, type TdsType, writeTypeInfo } from './types';
import { writeValue } from './values';

export const Token = {
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  INFO: 0xab,
  LOGINACK: 0xad,
  ENVCHANGE: 0xe3,
  ROW: 0xd1,
  RETURNSTATUS: 0x79,
  RETURNVALUE: 0xac,
  DONE: 0xfd,
  DONEPROC: 0xfe,
  DONEINPROC: 0xff,
} as const;

export const DoneStatus = {
  FINAL: 0x00,
  MORE: 0x01,
  ERROR: 0x02,
  INXACT: 0x04,
  COUNT: 0x10,
  ATTN: 0x20,
  SRVERROR: 0x100,
} as const;

export const EnvChange = {
  DATABASE: 1,
  LANGUAGE: 2,
  PACKET_SIZE: 4,
  COLLATION: 7,
  BEGIN_TRAN: 8,
  COMMIT_TRAN: 9,
  ROLLBACK_TRAN: 10,
  RESET_CONNECTION: 18,
} as const;

export interface ServerMessage {
  number: number;
  state: number;
  class: number;
  message: string;
  procName: string;
  lineNumber: number;
}

export interface Column {
  name: string;
  type: TdsType;
  nullable?: boolean;
  identity?: boolean;
}

type DoneToken = typeof Token.DONE | typeof Token.DONEPROC | typeof Token.DONEINPROC;

/**
 * Accumulates one response message. DONE tokens are held back one step so that the MORE bit can
 * be set on every DONE except the last, as SQL Server does (Babelfish calls this "pending done").
 */
export class ResponseBuilder {
  private readonly w = new TdsWriter(512);
  private pending: { token: DoneToken; status: number; rows: bigint } | undefined;

  constructor(
    readonly serverName: string,
    private readonly inTransaction: () => boolean = () => false,
    /** Below 7.2 ERROR/INFO line numbers are 2 bytes and DONE row counts 4 (only a refusal is sent to such a client). */
    private readonly tdsVersion: number = TdsVersion.V7_4,
  ) {}

  private get legacy(): boolean {
    return this.tdsVersion < TdsVersion.V7_2;
  }

  get isEmpty(): boolean {
    return this.w.length === 0 && this.pending === undefined;
  }

  private flushPending(more: boolean): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    let status = p.status | (more ? DoneStatus.MORE : 0);
    if (this.inTransaction()) status |= DoneStatus.INXACT;
    this.w.u8(p.token).u16(status).u16(0xc1);
    if (this.legacy) this.w.u32(Number(p.rows));
    else this.w.u64(p.rows);
  }

  private begin(): TdsWriter {
    this.flushPending(true);
    return this.w;
  }

  envChange(type: number, newValue: string | Buffer, oldValue: string | Buffer): void {
    const w = this.begin();
    w.u8(Token.ENVCHANGE);
    const at = w.reserve(2);
    const start = w.length;
    w.u8(type);
    for (const v of [newValue, oldValue]) {
      if (typeof v === 'string') w.bVarchar(v);
      else w.bVarbyte(v);
    }
    w.patchU16(at, w.length - start);
  }

  private message(token: number, m: ServerMessage): void {
    const w = this.begin();
    w.u8(token);
    const at = w.reserve(2);
    const start = w.length;
    w.u32(m.number).u8(m.state).u8(m.class).usVarchar(m.message).bVarchar(this.serverName).bVarchar(m.procName);
    if (this.legacy) w.u16(m.lineNumber);
    else w.u32(m.lineNumber);
    w.patchU16(at, w.length - start);
  }

  info(m: ServerMessage): void {
    this.message(Token.INFO, m);
  }

  error(m: ServerMessage): void {
    this.message(Token.ERROR, m);
  }

  loginAck(programName: string, version: { major: number; minor: number; build: number }, tdsVersion: number): void {
    const w = this.begin();
    w.u8(Token.LOGINACK);
    const at = w.reserve(2);
    const start = w.length;
    w.u8(1).u32be(tdsVersion).bVarchar(programName);
    w.u8(version.major).u8(version.minor).u8(version.build >> 8).u8(version.build & 0xff);
    w.patchU16(at, w.length - start);
  }

  resultSet(columns: readonly Column[], rows: readonly (readonly SqlValue[])[]): void {
    const w = this.begin();
    w.u8(Token.COLMETADATA).u16(columns.length);
    for (const c of columns) {
      w.u32(0);
      w.u16((c.nullable === false ? 0 : 0x01) | (c.identity ? 0x10 : 0));
      writeTypeInfo(w, c.type);
      w.bVarchar(c.name);
    }
    for (const row of rows) {
      w.u8(Token.ROW);
      for (let i = 0; i < columns.length; i++) writeValue(w, (columns[i] as Column).type, row[i] ?? null);
    }
  }

  returnStatus(value: number): void {
    this.begin().u8(Token.RETURNSTATUS).i32(value);
  }

  returnValue(ordinal: number, name: string, type: TdsType, value: SqlValue): void {
    const w = this.begin();
    w.u8(Token.RETURNVALUE).u16(ordinal).bVarchar(name.startsWith('@') ? name : `@${name}`).u8(0x01);
    w.u32(0).u16(0x01 | 0x08);
    writeTypeInfo(w, type);
    writeValue(w, type, value);
  }

  /** Queues a DONE-family token; its MORE bit is decided by whatever follows. */
  done(token: DoneToken, status: number, rows?: number): void {
    this.flushPending(true);
    this.pending = {
      token,
      status: status | (rows === undefined ? 0 : DoneStatus.COUNT),
      rows: BigInt(rows ?? 0),
    };
  }

  /** The finished payload. Ends with a final DONE of `token` if nothing else closed it. */
  finish(token: DoneToken = Token.DONE, status = 0): Buffer {
    if (!this.pending) this.pending = { token, status, rows: 0n };
    this.flushPending(false);
    return this.w.toBuffer();
  }

  /** The payload as is, for messages that carry no DONE (never used for requests). */
  raw(): Buffer {
    this.flushPending(false);
    return this.w.toBuffer();
  }
}

/** The standalone acknowledgement of an ATTENTION: exactly one DONE with the ATTN bit. */
export function attentionAck(): Buffer {
  const w = new TdsWriter(16);
  w.u8(Token.DONE).u16(DoneStatus.ATTN).u16(0).u64(0n);
  return w.toBuffer();
}
