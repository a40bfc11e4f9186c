// SQL Server: the driver's bulk load (`INSERT BULK` + the BULK_LOAD message) in one transaction, in
// batches so a file is never held whole. Values were already checked against their column's type;
// integers, bits, floats, GUIDs and text travel typed, decimals and dates/times as ISO text the
// server converts the same way whatever the session's language or DATEFORMAT (tedious would round
// decimals through a JS number and times to the millisecond). Upsert bulk-loads a #temp stage, then
// one MERGE keeps the file's last row of each key, in the same transaction.
import mssql from 'mssql';
import type { PoolLease } from '@studio/mssql-pool';
import type { ImportMode, ImportPlan } from './plan';
import type { ImportSink } from './sinks';
import type { TargetColumn } from './values';

/** Rows per bulk load: one INSERT BULK round trip per batch, memory bounded by the batch. */
const BATCH_ROWS = 10_000;
/**
 * The first batches are smaller so the server starts writing while the file is still being read:
 * a whole first batch would keep it waiting for 10,000 rows to be parsed and checked.
 */
const FIRST_BATCH_ROWS = 1_000;
const BATCH_BYTES = 4 * 1024 * 1024;
const ORDINAL = 'studio_import_ordinal';

const bracket = (name: string) => `[${name.replace(/]/g, ']]')}]`;

type BulkType = mssql.ISqlType | (() => mssql.ISqlType);
interface BulkColumn {
  type: BulkType;
  /** Canonical text → the value the driver sends. */
  value: (text: string) => unknown;
}

const asText = (text: string) => text;
/** `YYYY-MM-DD hh:mm:ss[.f] [±hh:mm]` → ISO 8601 with `T`, which no DATEFORMAT reinterprets. */
const isoMoment = (text: string) => text.replace(' ', 'T').replace(' ', '');

function textLength(column: TargetColumn): number {
  const length = column.maxLength;
  return length === null || length < 0 || length > 4000 ? mssql.MAX : length;
}

function bulkColumn(column: TargetColumn): BulkColumn {
  switch (column.dataType) {
    case 'int':
      return { type: mssql.Int, value: Number };
    case 'bigint':
      return { type: mssql.BigInt, value: BigInt };
    case 'smallint':
      return { type: mssql.SmallInt, value: Number };
    case 'tinyint':
      return { type: mssql.TinyInt, value: Number };
    case 'bit':
      return { type: mssql.Bit, value: (text) => text === '1' };
    case 'float':
      return { type: mssql.Float, value: Number };
    case 'real':
      return { type: mssql.Real, value: Number };
    case 'uniqueidentifier':
      return { type: mssql.UniqueIdentifier, value: asText };
    case 'varchar':
    case 'char':
    case 'text':
      return { type: mssql.VarChar(textLength(column)), value: asText };
    case 'date':
    case 'time':
    case 'datetime':
    case 'datetime2':
    case 'smalldatetime':
    case 'datetimeoffset':
      return { type: mssql.NVarChar(40), value: isoMoment };
    case 'decimal':
    case 'numeric':
    case 'money':
    case 'smallmoney':
      return { type: mssql.NVarChar(60), value: asText };
    default:
      return { type: mssql.NVarChar(textLength(column)), value: asText };
  }
}

export async function openMssqlSink(lease: PoolLease<'mssql'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  const transaction = new mssql.Transaction(lease.pool);
  await transaction.begin();
  const target = `${bracket(plan.table.schema)}.${bracket(plan.table.name)}`;
  const columns = plan.columns.map((column) => bracket(column.name));
  const stage = '#studio_import_stage';
  const shapes = plan.columns.map(bulkColumn);
  let batch: (string | null)[][] = [];
  let batchBytes = 0;
  let batchRows = FIRST_BATCH_ROWS;
  let ordinal = 0;
  let written = 0;
  let done = false;
  const request = () => {
    const req = new mssql.Request(transaction);
    // An import's statements run as long as the file takes.
    (req as unknown as { timeout: number }).timeout = 0;
    return req;
  };
  try {
    if (mode === 'replace') await request().query(`DELETE FROM ${target}`);
    if (mode === 'upsert') await request().query(`SELECT TOP 0 ${columns.join(', ')}, CAST(0 AS bigint) AS ${bracket(ORDINAL)} INTO ${stage} FROM ${target}`);
  } catch (error) {
    await transaction.rollback().catch(() => undefined);
    throw error;
  }
  /** Sends one batch as one bulk load. */
  const send = async (rows: (string | null)[][]) => {
    const table = new mssql.Table(mode === 'upsert' ? stage : target);
    plan.columns.forEach((column, index) => table.columns.add(column.name, (shapes[index] as BulkColumn).type, { nullable: true }));
    if (mode === 'upsert') table.columns.add(ORDINAL, mssql.BigInt, { nullable: false });
    // mssql's typings leave out bigint, which tedious's BigInt type takes (and keeps exact).
    const addRow = table.rows.add.bind(table.rows) as (...values: unknown[]) => number;
    for (const values of rows) {
      const row: unknown[] = new Array<unknown>(values.length);
      for (let index = 0; index < values.length; index++) {
        const value = values[index] ?? null;
        const shape = shapes[index];
        row[index] = value === null ? null : shape ? shape.value(value) : BigInt(value);
      }
      addRow(...row);
    }
    const result = await request().bulk(table);
    written += result.rowsAffected;
  };
  // One batch travels while the next one fills: the file is read and checked while the server
  // writes. A transaction runs one request at a time, so the loads are chained.
  let inFlight: Promise<void> = Promise.resolve();
  /** Hands the batch over; answers when the one before it is in, so at most two are held. */
  const flush = (): Promise<void> => {
    const previous = inFlight;
    if (batch.length === 0) return previous;
    const rows = batch;
    batch = [];
    batchBytes = 0;
    batchRows = Math.min(BATCH_ROWS, batchRows * 4);
    inFlight = previous.then(() => send(rows));
    // Observed by commit or rollback; a failure also reaches the writer through `previous`.
    inFlight.catch(() => undefined);
    return previous;
  };
  return {
    write(values) {
      ordinal += 1;
      batch.push(mode === 'upsert' ? [...values, String(ordinal)] : values);
      for (const value of values) batchBytes += value === null ? 1 : value.length;
      return batch.length >= batchRows || batchBytes >= BATCH_BYTES ? flush() : undefined;
    },
    async commit() {
      try {
        void flush();
        await inFlight;
        if (mode === 'upsert') {
          const keys = plan.keyColumns.map(bracket);
          const others = columns.filter((column) => !keys.includes(column));
          // The file's last row of a key wins: MERGE refuses a target row matched twice.
          const latest = `(SELECT ${columns.join(', ')} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${bracket(ORDINAL)} DESC) AS [studio_import_rank] FROM ${stage}) AS ranked WHERE [studio_import_rank] = 1)`;
          const update = others.length > 0 ? ` WHEN MATCHED THEN UPDATE SET ${others.map((column) => `t.${column} = s.${column}`).join(', ')}` : '';
          const merged = await request().query(
            `MERGE ${target} WITH (HOLDLOCK) AS t USING ${latest} AS s ON (${keys.map((key) => `t.${key} = s.${key}`).join(' AND ')})${update} WHEN NOT MATCHED BY TARGET THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((column) => `s.${column}`).join(', ')});`,
          );
          written = merged.rowsAffected.reduce((sum, count) => sum + count, 0);
          await request().query(`DROP TABLE ${stage}`);
        }
        await transaction.commit();
        done = true;
        return written;
      } catch (error) {
        await transaction.rollback().catch(() => undefined);
        done = true;
        throw error;
      }
    },
    async rollback() {
      if (done) return;
      done = true;
      // A bulk load still on the wire must end before the transaction can be rolled back.
      await inFlight.catch(() => undefined);
      await transaction.rollback().catch(() => undefined);
    },
  };
}
