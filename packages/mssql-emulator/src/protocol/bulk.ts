/**
 * The BULK_LOAD message (packet type 0x07) that follows an accepted `INSERT BULK` statement:
 * COLMETADATA describing the columns as the client sends them, one ROW token per row, DONE.
 */
import { ProtocolError, TdsReader } from './buffer';
import { type SqlValue, type TdsType, readTypeInfo } from './types';
import { readValue } from './values';

const COLMETADATA = 0x81;
const ROW = 0xd1;
const DONE = 0xfd;
const NULLABLE = 0x01;

export interface BulkColumn {
  name: string;
  type: TdsType;
  nullable: boolean;
}

export interface BulkLoadStream {
  columns: BulkColumn[];
  /** The rows in order, decoded one at a time so a large load is never held twice. */
  rows(): Generator<SqlValue[]>;
}

/** TEXT/NTEXT/IMAGE values travel behind a text pointer and timestamp, or as a null pointer. */
function readLegacyValue(r: TdsReader, t: TdsType): SqlValue {
  const pointer = r.u8();
  if (pointer === 0) return null;
  r.bytes(pointer + 8);
  const data = r.bytes(r.u32());
  if (t.kind === 'nvarchar') return data.toString('utf16le');
  if (t.kind === 'varchar') return data.toString('latin1');
  return Buffer.from(data);
}

export function parseBulkLoad(payload: Buffer, tdsVersion72OrLater = true): BulkLoadStream {
  const r = new TdsReader(payload, 0);
  if (r.u8() !== COLMETADATA) throw new ProtocolError('a bulk load must start with COLMETADATA');
  const count = r.u16();
  const columns: BulkColumn[] = [];
  for (let k = 0; k < count; k++) {
    if (tdsVersion72OrLater) r.u32();
    else r.u16();
    const flags = r.u16();
    const type = readTypeInfo(r);
    if ((type.kind === 'nvarchar' || type.kind === 'varchar' || type.kind === 'varbinary') && type.legacy) r.usVarchar();
    columns.push({ name: r.bVarchar(), type, nullable: (flags & NULLABLE) !== 0 });
  }
  function* rows(): Generator<SqlValue[]> {
    for (;;) {
      if (r.remaining === 0) throw new ProtocolError('a bulk load must end with DONE');
      const token = r.u8();
      if (token === DONE) return;
      if (token !== ROW) throw new ProtocolError(`unexpected token 0x${token.toString(16)} in a bulk load`);
      const row: SqlValue[] = new Array<SqlValue>(count);
      for (let k = 0; k < count; k++) {
        const type = (columns[k] as BulkColumn).type;
        const legacy = (type.kind === 'nvarchar' || type.kind === 'varchar' || type.kind === 'varbinary') && type.legacy === true;
        row[k] = legacy ? readLegacyValue(r, type) : readValue(r, type);
      }
      yield row;
    }
  }
  return { columns, rows };
}
