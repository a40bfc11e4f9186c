/** Request payloads: ALL_HEADERS, SQL_BATCH text, RPC calls and TRANSACTION_MANAGER requests. */
import { ProtocolError, TdsReader } from './buffer';
import { type SqlValue, type TdsType, readTypeInfo } from './types';
import { readValue } from './values';

export interface RpcParam {
  name: string;
  output: boolean;
  type: TdsType;
  value: SqlValue;
}

export interface RpcRequest {
  procName?: string;
  procId?: number;
  params: RpcParam[];
}

/** Skips ALL_HEADERS (TDS 7.2+ puts them before every request) and returns the offset after them. */
export function skipAllHeaders(payload: Buffer): number {
  if (payload.length < 4) return 0;
  const total = payload.readUInt32LE(0);
  // A batch without headers starts with UTF-16 text; a header block is at least 4 bytes and fits.
  if (total >= 4 && total <= payload.length && total < 1024) return total;
  return 0;
}

export function parseSqlBatch(payload: Buffer): string {
  return payload.toString('utf16le', skipAllHeaders(payload));
}

export function parseRpc(payload: Buffer): RpcRequest {
  const r = new TdsReader(payload, skipAllHeaders(payload));
  const nameLength = r.u16();
  const request: RpcRequest = { params: [] };
  if (nameLength === 0xffff) request.procId = r.u16();
  else request.procName = r.ucs2(nameLength);
  r.u16(); // option flags (WITH RECOMPILE, NO_METADATA): nothing to do
  while (r.remaining > 0) {
    const first = r.buf[r.pos] as number;
    // 0x80 / 0xFF separate batched RPCs; tedious sends one call per message.
    if (first === 0x80 || first === 0xff) throw new ProtocolError('batched RPC calls are not supported');
    const name = r.bVarchar();
    const status = r.u8();
    const type = readTypeInfo(r);
    const value = readValue(r, type);
    request.params.push({ name, output: (status & 0x01) !== 0, type, value });
  }
  return request;
}

export const TransactionRequest = { BEGIN: 5, COMMIT: 7, ROLLBACK: 8, SAVE: 9, GET_DTC_ADDRESS: 0, PROPAGATE: 1 } as const;

export interface TransactionManagerRequest {
  type: number;
  /** For COMMIT/ROLLBACK with fBeginXact: start a new transaction straight away. */
  beginAfter: boolean;
}

export function parseTransactionManager(payload: Buffer): TransactionManagerRequest {
  const r = new TdsReader(payload, skipAllHeaders(payload));
  const type = r.u16();
  let beginAfter = false;
  if (type === TransactionRequest.COMMIT || type === TransactionRequest.ROLLBACK) {
    if (r.remaining > 0) {
      const nameLength = r.u8();
      r.bytes(nameLength * 2);
      if (r.remaining > 0) beginAfter = (r.u8() & 0x01) !== 0;
    }
  }
  return { type, beginAfter };
}
