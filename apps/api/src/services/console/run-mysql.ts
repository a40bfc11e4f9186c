// A console run on MySQL/MariaDB: one pooled connection, the statements one by one (the pool's
// connections do not allow multi-statements, which also keeps a statement smuggled after a `;`
// from skipping the checks). Read-only runs inside `START TRANSACTION READ ONLY … ROLLBACK`, so
// the server refuses writes (1792). Cancel is `KILL QUERY <thread>` from a second session.
import mysql from 'mysql2/promise';
import { InvalidInputError } from '../errors';
import { splitStatements } from './statements';
import { consoleValue, DatabaseQueryError, type ResultSink, type RunControl, type RunRequest } from './types';

const TYPE_NAMES = new Map<number, string>(Object.entries(mysql.Types as unknown as Record<string, number>).map(([name, id]) => [id, name.toLowerCase()]));
/** The protocol's names (`long`, `var_string`) as SQL names a column is declared with. */
const SQL_TYPE_NAMES: Record<string, string> = { tiny: 'tinyint', short: 'smallint', long: 'int', int24: 'mediumint', longlong: 'bigint', newdecimal: 'decimal', newdate: 'date' };
/** The binary "character set": a string or blob column with it holds bytes, not text. */
const BINARY_CHARSET = 63;

/** `varchar` / `varbinary`, `text` / `blob`: the wire sends one type for each pair and the character set tells them apart. */
function sqlTypeName(field: { columnType: number; characterSet?: number }): string {
  const wire = TYPE_NAMES.get(field.columnType);
  if (wire === undefined) return `type ${field.columnType}`;
  const binary = field.characterSet === BINARY_CHARSET;
  if (wire === 'var_string' || wire === 'varchar') return binary ? 'varbinary' : 'varchar';
  if (wire === 'string') return binary ? 'binary' : 'char';
  if (wire.endsWith('blob')) return binary ? wire.replace('_', '') : wire.replace('_', '').replace('blob', 'text');
  return SQL_TYPE_NAMES[wire] ?? wire;
}

interface CoreQuery {
  /** Also emitted (with undefined) before a statement's OK packet. */
  on(event: 'fields', listener: (fields: { name: string; columnType: number; characterSet?: number }[] | undefined) => void): CoreQuery;
  on(event: 'result', listener: (row: unknown) => void): CoreQuery;
  on(event: 'error', listener: (error: unknown) => void): CoreQuery;
  on(event: 'end', listener: () => void): CoreQuery;
}

interface CoreConnection {
  threadId: number | null;
  pause(): void;
  resume(): void;
  query(options: { sql: string; rowsAsArray: boolean; dateStrings: boolean }, values?: unknown[]): CoreQuery;
}

interface PoolConfig {
  config: { connectionConfig: Record<string, unknown> };
}

async function killQuery(pool: mysql.Pool, threadId: number): Promise<void> {
  const c = (pool.pool as unknown as PoolConfig).config.connectionConfig as mysql.ConnectionOptions & { stream?: unknown };
  const killer = await mysql.createConnection({
    ...(c.stream !== undefined && { stream: c.stream as mysql.ConnectionOptions['stream'] }),
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ...(c.ssl ? { ssl: c.ssl } : {}),
  });
  killer.on('error', () => undefined);
  try {
    await killer.query(`KILL QUERY ${Number(threadId)}`);
  } finally {
    killer.destroy();
  }
}

export async function runOnMysql(pool: mysql.Pool, run: RunRequest, sink: ResultSink, control: RunControl): Promise<{ rolledBack: boolean }> {
  if (!Array.isArray(run.parameters)) throw new TypeError('MySQL takes positional parameters (?)');
  const statements = splitStatements(run.sql, 'mysql');
  if (run.parameters.length > 0 && statements.length > 1) {
    throw new InvalidInputError('parameters', 'parameters: with parameters the text must be one statement (MySQL binds ? per statement)');
  }
  const connection = await pool.getConnection();
  const core = connection.connection as unknown as CoreConnection;
  let broken: unknown;
  try {
    if (run.mode === 'read-only') await connection.query('START TRANSACTION READ ONLY');
    sink.flow?.({ pause: () => core.pause(), resume: () => core.resume() });
    control.onCancel(async () => {
      if (core.threadId !== null) await killQuery(pool, core.threadId);
    });
    for (const [index, statement] of statements.entries()) {
      await new Promise<void>((resolve, reject) => {
        const values = run.parameters as unknown[];
        core
          .query({ sql: statement.text, rowsAsArray: true, dateStrings: true }, values.length > 0 ? values : undefined)
          .on('fields', (fields) => {
            if (fields) sink.resultSet(fields.map((f) => ({ name: f.name, type: sqlTypeName(f) })));
          })
          .on('result', (row) => {
            if (Array.isArray(row)) {
              if (!sink.row(row.map(consoleValue))) core.pause();
            } else {
              const header = row as { affectedRows?: number };
              if (typeof header.affectedRows === 'number') sink.rowsAffected(header.affectedRows);
            }
          })
          .on('error', (error) => {
            const e = error as { errno?: unknown; sqlMessage?: unknown; fatal?: unknown };
            if (e.fatal === true) broken = error;
            if (typeof e.errno === 'number' && typeof e.sqlMessage === 'string') {
              reject(new DatabaseQueryError(String(e.errno), e.sqlMessage, { line: null, statement: index + 1 }, { cause: error }));
            } else reject(error);
          })
          .on('end', () => resolve());
      });
    }
  } finally {
    if (run.mode === 'read-only' && broken === undefined) await connection.query('ROLLBACK').catch((error: unknown) => (broken = error));
    if (broken !== undefined) connection.destroy();
    else connection.release();
  }
  return { rolledBack: run.mode === 'read-only' };
}
