// SQL Server: batched parameterised INSERTs in one transaction. Each value travels as nvarchar and
// is CAST to its column's type in the statement (it was already checked against that type), so no
// implicit conversion depends on the session's language or date format. Upsert loads a #temp
// stage, keeps the file's last row of each key, then UPDATE … FROM and INSERT … WHERE NOT EXISTS
// in the same transaction (MERGE would do it in one statement, but the emulator does not speak it).
import mssql from 'mssql';
import type { PoolLease } from '@studio/mssql-pool';
import type { ImportMode, ImportPlan } from './plan';
import type { ImportSink } from './sinks';
import type { TargetColumn } from './values';

/** SQL Server takes at most 2,100 parameters per request and 1,000 rows per VALUES list. */
const MAX_PARAMETERS = 2_000;
const MAX_ROWS = 1_000;

const bracket = (name: string) => `[${name.replace(/]/g, ']]')}]`;

const PLAIN_TYPES = new Set(['int', 'bigint', 'smallint', 'tinyint', 'bit', 'float', 'real', 'money', 'smallmoney', 'date', 'datetime', 'datetime2', 'smalldatetime', 'datetimeoffset', 'time', 'uniqueidentifier']);

/** `CAST(@v AS type)` for a typed column; text columns take the nvarchar as it is. */
function castOf(column: TargetColumn, parameter: string): string {
  const type = column.dataType;
  if (type === 'decimal' || type === 'numeric') return `CAST(${parameter} AS decimal(${column.precision ?? 18}, ${column.scale ?? 0}))`;
  if (PLAIN_TYPES.has(type)) return `CAST(${parameter} AS ${type})`;
  return parameter;
}

export async function openMssqlSink(lease: PoolLease<'mssql'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  const transaction = new mssql.Transaction(lease.pool);
  await transaction.begin();
  const target = `${bracket(plan.table.schema)}.${bracket(plan.table.name)}`;
  const targetName = bracket(plan.table.name);
  const columns = plan.columns.map((column) => bracket(column.name));
  const stage = '#studio_import_stage';
  const latest = '#studio_import_latest';
  const perRow = mode === 'upsert' ? columns.length + 1 : columns.length;
  const batchRows = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / perRow)));
  let batch: (string | null)[][] = [];
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
    if (mode === 'upsert') await request().query(`SELECT TOP 0 ${columns.join(', ')}, CAST(0 AS bigint) AS [studio_import_ordinal] INTO ${stage} FROM ${target}`);
  } catch (error) {
    await transaction.rollback().catch(() => undefined);
    throw error;
  }
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const req = request();
    const tuples = rows.map((values, row) => {
      const expressions = values.map((value, index) => {
        const name = `v${row}_${index}`;
        req.input(name, mssql.NVarChar(mssql.MAX), value);
        const column = plan.columns[index];
        return column ? castOf(column, `@${name}`) : `CAST(@${name} AS bigint)`;
      });
      return `(${expressions.join(', ')})`;
    });
    const into = mode === 'upsert' ? `${stage} (${[...columns, '[studio_import_ordinal]'].join(', ')})` : `${target} (${columns.join(', ')})`;
    await req.query(`INSERT INTO ${into} VALUES ${tuples.join(', ')}`);
    written += rows.length;
  };
  return {
    write(values) {
      ordinal += 1;
      batch.push(mode === 'upsert' ? [...values, String(ordinal)] : values);
      return batch.length >= batchRows ? flush() : undefined;
    },
    async commit() {
      try {
        await flush();
        if (mode === 'upsert') {
          const keys = plan.keyColumns.map(bracket);
          const others = columns.filter((column) => !keys.includes(column));
          const matches = keys.map((key) => `s.${key} = ${targetName}.${key}`).join(' AND ');
          await request().query(`SELECT ${columns.join(', ')} INTO ${latest} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY [studio_import_ordinal] DESC) AS [studio_import_rank] FROM ${stage}) AS ranked WHERE [studio_import_rank] = 1`);
          let updated = 0;
          if (others.length > 0) {
            const result = await request().query(`UPDATE ${target} SET ${others.map((column) => `${column} = s.${column}`).join(', ')} FROM ${latest} AS s WHERE ${matches}`);
            updated = result.rowsAffected.reduce((sum, count) => sum + count, 0);
          }
          const inserted = await request().query(
            `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.map((column) => `s.${column}`).join(', ')} FROM ${latest} AS s WHERE NOT EXISTS (SELECT 1 FROM ${target} WHERE ${matches})`,
          );
          written = updated + inserted.rowsAffected.reduce((sum, count) => sum + count, 0);
          await request().query(`DROP TABLE ${stage}; DROP TABLE ${latest}`);
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
      await transaction.rollback().catch(() => undefined);
    },
  };
}
