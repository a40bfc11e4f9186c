// SQL Server: batched parameterised INSERTs in one transaction (values as nvarchar, converted by
// the server to each column's type; the values were already checked against those types). Upsert
// loads a #temp stage and MERGEs it on the key, keeping the file's last row of each key.
import mssql from 'mssql';
import type { PoolLease } from '@studio/mssql-pool';
import type { ImportMode, ImportPlan } from './plan';
import type { ImportSink } from './sinks';

/** SQL Server takes at most 2,100 parameters per request and 1,000 rows per VALUES list. */
const MAX_PARAMETERS = 2_000;
const MAX_ROWS = 1_000;

const bracket = (name: string) => `[${name.replace(/]/g, ']]')}]`;

export async function openMssqlSink(lease: PoolLease<'mssql'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  const transaction = new mssql.Transaction(lease.pool);
  await transaction.begin();
  const target = `${bracket(plan.table.schema)}.${bracket(plan.table.name)}`;
  const columns = plan.columns.map((column) => bracket(column.name));
  const stage = '#studio_import_stage';
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
    if (mode === 'upsert') {
      await request().query(`SELECT TOP 0 ${columns.join(', ')}, CAST(0 AS bigint) AS [studio_import_ordinal] INTO ${stage} FROM ${target}`);
    }
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
      const names = values.map((value, column) => {
        const name = `v${row}_${column}`;
        req.input(name, mssql.NVarChar(mssql.MAX), value);
        return `@${name}`;
      });
      return `(${names.join(', ')})`;
    });
    const into = mode === 'upsert' ? `${stage} (${[...columns, '[studio_import_ordinal]'].join(', ')})` : `${target} (${columns.join(', ')})`;
    await req.query(`INSERT INTO ${into} VALUES ${tuples.join(', ')}`);
    written += rows.length;
  };
  return {
    async write(values) {
      ordinal += 1;
      batch.push(mode === 'upsert' ? [...values, String(ordinal)] : values);
      if (batch.length >= batchRows) await flush();
    },
    async commit() {
      try {
        await flush();
        if (mode === 'upsert') {
          const keys = plan.keyColumns.map(bracket);
          const others = columns.filter((column) => !keys.includes(column));
          const on = keys.map((key) => `t.${key} = s.${key}`).join(' AND ');
          const update = others.length > 0 ? `WHEN MATCHED THEN UPDATE SET ${others.map((column) => `t.${column} = s.${column}`).join(', ')} ` : '';
          const merged = await request().query(
            `MERGE INTO ${target} AS t USING (SELECT ${columns.join(', ')} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY [studio_import_ordinal] DESC) AS [studio_import_rank] FROM ${stage}) AS ranked WHERE [studio_import_rank] = 1) AS s ON ${on} ` +
              `${update}WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((column) => `s.${column}`).join(', ')});`,
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
      await transaction.rollback().catch(() => undefined);
    },
  };
}
