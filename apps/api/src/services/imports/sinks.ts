// Where accepted rows go, one transaction per import: PostgreSQL through COPY … FROM STDIN (CSV
// format, every non-NULL value quoted, so an empty string stays one), MySQL/MariaDB through batched
// LOAD DATA LOCAL INFILE fed from the checked rows (multi-row INSERTs for upsert), SQL Server through batched parameterised INSERTs (sink-mssql.ts). Upsert stages
// rows and merges on the key; replace empties the table first, inside the same transaction.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { PoolLease } from '@studio/mssql-pool';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ImportMode, ImportPlan } from './plan';
import { openMssqlSink } from './sink-mssql';
import type { Dialect } from './values';

export interface ImportSink {
  /**
   * Buffers one row (values in plan.columns order). Answers a promise when the buffer was sent and
   * the caller must wait for it (the server is behind), else undefined: no await per row.
   */
  write(values: (string | null)[]): Promise<void> | undefined;
  /** Sends what is buffered, merges (upsert) and commits. Resolves the rows written. */
  commit(): Promise<number>;
  /** Undoes everything; never rejects. */
  rollback(): Promise<void>;
}

/** Long imports must not be cut by the connection's per-statement timeout (setTimeout's largest delay). */
const NO_TIMEOUT = 2_147_483_647;
const COPY_CHUNK_BYTES = 64 * 1024;
const MYSQL_BATCH_ROWS = 1_000;
const MYSQL_BATCH_BYTES = 1024 * 1024;

export function quoteIdentifier(dialect: Dialect, name: string): string {
  if (dialect === 'postgres') return `"${name.replace(/"/g, '""')}"`;
  if (dialect === 'mysql') return `\`${name.replace(/`/g, '``')}\``;
  return `[${name.replace(/]/g, ']]')}]`;
}

/**
 * Gives a MariaDB connection back once: after an error (a rollback or a session restore that
 * failed) it is destroyed rather than handed to the next caller in an unknown state.
 */
export function releaseOnce(connection: { release(): void; destroy(): void }): { (error?: unknown): void; readonly done: boolean } {
  let done = false;
  const release = (error?: unknown) => {
    if (done) return;
    done = true;
    if (error !== undefined) connection.destroy();
    else connection.release();
  };
  return Object.defineProperty(release, 'done', { get: () => done }) as typeof release & { readonly done: boolean };
}

export function qualifiedName(dialect: Dialect, plan: ImportPlan): string {
  return `${quoteIdentifier(dialect, plan.table.schema)}.${quoteIdentifier(dialect, plan.table.name)}`;
}

export async function openSink(lease: PoolLease, dialect: Dialect, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  if (dialect === 'postgres') return openPostgresSink(lease as PoolLease<'postgres'>, plan, mode);
  if (dialect === 'mysql') return openMysqlSink(lease as PoolLease<'mysql'>, plan, mode);
  return openMssqlSink(lease as PoolLease<'mssql'>, plan, mode);
}

function csvField(value: string | null): string {
  return value === null ? '' : `"${value.replace(/"/g, '""')}"`;
}

async function openPostgresSink(lease: PoolLease<'postgres'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  const client = await lease.pool.connect();
  const run = (text: string) => client.query({ text, query_timeout: NO_TIMEOUT } as pg.QueryConfig);
  const target = qualifiedName('postgres', plan);
  const columns = plan.columns.map((column) => quoteIdentifier('postgres', column.name));
  const stage = '"studio_import_stage"';
  let copy: ReturnType<typeof copyFrom> | undefined;
  let failure: Error | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;
  let ordinal = 0;
  try {
    await run('BEGIN');
    if (mode === 'replace') await run(`TRUNCATE TABLE ${target}`);
    if (mode === 'upsert') {
      // The ordinal keeps the file's last row of a key when the file repeats it.
      await run(`CREATE TEMP TABLE ${stage} ON COMMIT DROP AS SELECT ${columns.join(', ')} FROM ${target} WITH NO DATA`);
      await run(`ALTER TABLE ${stage} ADD COLUMN "studio_import_ordinal" bigint`);
    }
    const copyColumns = mode === 'upsert' ? [...columns, '"studio_import_ordinal"'] : columns;
    copy = copyFrom(`COPY ${mode === 'upsert' ? stage : target} (${copyColumns.join(', ')}) FROM STDIN WITH (FORMAT csv)`);
    (copy as unknown as { query_timeout: number }).query_timeout = NO_TIMEOUT;
    copy.on('error', (error: Error) => {
      failure ??= error;
    });
    client.query(copy);
  } catch (error) {
    await run('ROLLBACK').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  const stream = copy;

  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (failure) throw failure;
    if (!stream.write(chunk)) await once(stream, 'drain');
  };

  let released = false;
  const release = (error?: unknown) => {
    if (released) return;
    released = true;
    client.release(error instanceof Error ? error : undefined);
  };

  return {
    write(values) {
      ordinal += 1;
      let line = '';
      for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + csvField(values[i] ?? null);
      line += mode === 'upsert' ? `,${ordinal}\n` : '\n';
      pending.push(line);
      pendingBytes += line.length;
      return pendingBytes >= COPY_CHUNK_BYTES ? flush() : undefined;
    },
    async commit() {
      try {
        await flush();
        stream.end();
        await finished(stream);
        if (failure) throw failure;
        let written = stream.rowCount;
        if (mode === 'upsert') {
          const keys = plan.keyColumns.map((name) => quoteIdentifier('postgres', name));
          const others = columns.filter((column) => !keys.includes(column));
          const action = others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((column) => `${column} = EXCLUDED.${column}`).join(', ')}`;
          const merged = await run(
            `INSERT INTO ${target} (${columns.join(', ')}) SELECT DISTINCT ON (${keys.join(', ')}) ${columns.join(', ')} FROM ${stage} ORDER BY ${keys.join(', ')}, "studio_import_ordinal" DESC ON CONFLICT (${keys.join(', ')}) ${action}`,
          );
          written = merged.rowCount ?? written;
        }
        await run('COMMIT');
        release();
        return written;
      } catch (error) {
        await run('ROLLBACK').catch(() => undefined);
        release(error);
        throw failure ?? error;
      }
    },
    async rollback() {
      if (released) return;
      if (!stream.writableFinished) {
        // Ends the COPY with CopyFail; the server answers with an error, which is expected here.
        stream.destroy();
        await finished(stream).catch(() => undefined);
      }
      const rolledBack = await run('ROLLBACK').then(
        () => undefined,
        (error: unknown) => error,
      );
      release(rolledBack);
    },
  };
}

async function openMysqlSink(lease: PoolLease<'mysql'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  if (mode !== 'upsert') return openMysqlLoadSink(lease, plan, mode);
  const connection = await lease.pool.getConnection();
  const target = qualifiedName('mysql', plan);
  const columns = plan.columns.map((column) => quoteIdentifier('mysql', column.name));
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  const keys = new Set(plan.keyColumns.map((name) => quoteIdentifier('mysql', name)));
  const updates = columns.filter((column) => !keys.has(column));
  // With every column in the key there is nothing to update; assigning the key to itself keeps the row.
  const onDuplicate = mode === 'upsert' ? ` ON DUPLICATE KEY UPDATE ${(updates.length > 0 ? updates : [...keys].slice(0, 1)).map((column) => `${column} = VALUES(${column})`).join(', ')}` : '';
  let batch: (string | null)[] = [];
  let rows = 0;
  let bytes = 0;
  let written = 0;
  const release = releaseOnce(connection);
  try {
    await connection.query('START TRANSACTION');
  } catch (error) {
    release(error);
    throw error;
  }
  const flush = async () => {
    if (rows === 0) return;
    const sql = `INSERT INTO ${target} (${columns.join(', ')}) VALUES ${new Array<string>(rows).fill(placeholders).join(', ')}${onDuplicate}`;
    const values = batch;
    written += rows;
    batch = [];
    rows = 0;
    bytes = 0;
    await connection.query(sql, values);
  };
  return {
    write(values) {
      for (const value of values) {
        batch.push(value);
        bytes += value === null ? 4 : value.length;
      }
      rows += 1;
      return rows >= MYSQL_BATCH_ROWS || bytes >= MYSQL_BATCH_BYTES ? flush() : undefined;
    },
    async commit() {
      try {
        await flush();
        await connection.query('COMMIT');
        release();
        return written;
      } catch (error) {
        const rolledBack = await connection.query('ROLLBACK').then(
          () => undefined,
          (failure: unknown) => failure,
        );
        release(rolledBack);
        throw error;
      }
    },
    async rollback() {
      if (release.done) return;
      const rolledBack = await connection.query('ROLLBACK').then(
        () => undefined,
        (failure: unknown) => failure,
      );
      release(rolledBack);
    },
  };
}

/** LOAD DATA's default text format: tab-separated, backslash escapes, \N for NULL. */
const LOAD_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const loadField = (value: string | null) => (value === null ? '\\N' : NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => LOAD_ESCAPES[c]!) : value);

/**
 * Insert and replace into MySQL/MariaDB: one `LOAD DATA LOCAL INFILE` whose "file" is the checked
 * rows, streamed as they come, inside the run's transaction. With LOCAL the server cannot stop the
 * transfer, so it downgrades refusals (a duplicate key) to warnings; any warning fails the run.
 */
async function openMysqlLoadSink(lease: PoolLease<'mysql'>, plan: ImportPlan, mode: ImportMode): Promise<ImportSink> {
  const connection = await lease.pool.getConnection();
  const target = qualifiedName('mysql', plan);
  const columns = plan.columns.map((column) => quoteIdentifier('mysql', column.name));
  const feed = new PassThrough({ highWaterMark: 1024 * 1024 });
  let pending = '';
  let rows = 0;
  const release = releaseOnce(connection);
  let load: Promise<unknown>;
  try {
    await connection.query('START TRANSACTION');
    // TRUNCATE would commit on its own in MySQL: DELETE keeps replace inside the transaction.
    if (mode === 'replace') await connection.query(`DELETE FROM ${target}`);
    load = connection.query({
      sql: `LOAD DATA LOCAL INFILE 'studio-import' INTO TABLE ${target} CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns.join(', ')})`,
      infileStreamFactory: () => feed,
    } as Parameters<typeof connection.query>[0]);
    // A refused statement leaves the feed unread: wake a writer waiting for it to drain.
    load.catch((error: unknown) => feed.destroy(error instanceof Error ? error : new Error(String(error))));
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    release(error);
    throw error;
  }
  const flush = async () => {
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    if (!feed.write(chunk)) await once(feed, 'drain');
  };
  const rollback = async () => {
    if (release.done) return;
    if (!feed.writableEnded) feed.end();
    await load.catch(() => undefined);
    const rolledBack = await connection.query('ROLLBACK').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    release(rolledBack);
  };
  return {
    write(values) {
      let line = '';
      for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + loadField(values[i] ?? null);
      pending += `${line}\n`;
      rows += 1;
      return pending.length >= COPY_CHUNK_BYTES ? flush() : undefined;
    },
    async commit() {
      try {
        await flush();
        feed.end();
        const [result] = (await load) as [{ affectedRows: number; warningStatus: number }, unknown];
        if (result.warningStatus > 0 || result.affectedRows !== rows) {
          const [warnings] = (await connection.query('SHOW WARNINGS LIMIT 1')) as unknown as [{ Code: number; Message: string }[]];
          const first = warnings[0];
          throw Object.assign(new Error(first?.Message ?? `${rows - result.affectedRows} rows were not loaded`), { errno: first?.Code });
        }
        await connection.query('COMMIT');
        release();
        return rows;
      } catch (error) {
        await rollback();
        throw error;
      }
    },
    rollback,
  };
}
