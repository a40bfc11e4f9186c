/**
 * Errors raised while executing T-SQL, in SQL Server's shape (number, state, class, line,
 * procedure), and the translation of PostgreSQL failures into the SQL Server error that the same
 * mistake would have produced.
 */

export const EMULATOR_NAME = '@studio/mssql-emulator';
/** Azure SQL's "not supported in this version" error: our answer to T-SQL outside the subset. */
export const UNSUPPORTED_ERROR_NUMBER = 40517;

export interface SqlErrorInit {
  number: number;
  message: string;
  class?: number;
  state?: number;
  line?: number;
  procName?: string;
  /** Ends the whole batch (THROW, compile errors) rather than just the statement. */
  abortsBatch?: boolean;
  cause?: unknown;
}

/** A SQL Server error as the client will see it in an ERROR token. */
export class SqlError extends Error {
  readonly code = 'ESQL';
  readonly number: number;
  readonly class: number;
  readonly state: number;
  line: number;
  procName: string;
  abortsBatch: boolean;
  /** Set once line and procedure have been filled in by the innermost frame. */
  located: boolean;

  constructor(init: SqlErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SqlError';
    this.number = init.number;
    this.class = init.class ?? 16;
    this.state = init.state ?? 1;
    this.line = init.line ?? 0;
    this.procName = init.procName ?? '';
    this.abortsBatch = init.abortsBatch ?? true;
    this.located = init.line !== undefined && init.line > 0 && init.procName !== undefined;
  }
}

/** 40517 naming the construct; `plural` for names such as "Computed columns (b)". */
export function unsupported(what: string, line = 0, plural = false): SqlError {
  return new SqlError({
    number: UNSUPPORTED_ERROR_NUMBER,
    class: 16,
    message: `${what} ${plural ? 'are' : 'is'} not supported by ${EMULATOR_NAME} (see its README for the supported T-SQL subset).`,
    line,
  });
}

/**
 * Every error found compiling one batch, in order: SQL Server reports them all and runs none of
 * it. It stands for the last one (the error mssql throws; the others are its `precedingErrors`).
 */
export class BatchErrors extends SqlError {
  constructor(readonly errors: readonly SqlError[]) {
    const last = errors[errors.length - 1];
    super({ number: last?.number ?? 102, class: last?.class ?? 15, state: last?.state ?? 1, message: last?.message ?? 'Incorrect syntax.', line: last?.line ?? 0 });
    this.name = 'BatchErrors';
  }
}

/** All of `errors` as one error: itself when there is one. */
export function batchErrors(errors: readonly SqlError[]): SqlError {
  const flat = errors.flatMap((e) => (e instanceof BatchErrors ? e.errors : [e]));
  return flat.length === 1 ? (flat[0] as SqlError) : new BatchErrors(flat);
}

/** 102, or 156 when `near` is a keyword, as SQL Server words a syntax error at a token. */
export function syntaxErrorNear(near: string, line = 0): SqlError {
  return TSQL_KEYWORDS.has(near.toUpperCase()) ? keywordSyntaxError(near.toUpperCase(), line) : syntaxError(near, line);
}

export function syntaxError(near: string, line = 0): SqlError {
  return new SqlError({ number: 102, class: 15, message: `Incorrect syntax near '${near}'.`, line });
}

export function keywordSyntaxError(keyword: string, line = 0): SqlError {
  return new SqlError({ number: 156, class: 15, message: `Incorrect syntax near the keyword '${keyword}'.`, line });
}

/** Reserved words for which SQL Server reports 156 ("near the keyword") instead of 102. */
const TSQL_KEYWORDS = new Set([
  'ADD', 'ALL', 'ALTER', 'AND', 'ANY', 'AS', 'ASC', 'BEGIN', 'BETWEEN', 'BY', 'CASE', 'CHECK', 'COLUMN', 'COMMIT',
  'CONSTRAINT', 'CREATE', 'CROSS', 'DEFAULT', 'DELETE', 'DESC', 'DISTINCT', 'DROP', 'ELSE', 'END', 'EXCEPT', 'EXEC',
  'EXISTS', 'FOREIGN', 'FROM', 'FULL', 'GROUP', 'HAVING', 'IN', 'INNER', 'INSERT', 'INTERSECT', 'INTO', 'IS', 'JOIN',
  'KEY', 'LEFT', 'LIKE', 'NOT', 'NULL', 'ON', 'OR', 'ORDER', 'OUTER', 'PRIMARY', 'REFERENCES', 'RIGHT', 'SELECT', 'SET',
  'TABLE', 'THEN', 'TOP', 'UNION', 'UNIQUE', 'UPDATE', 'VALUES', 'VIEW', 'WHEN', 'WHERE', 'WITH',
]);

interface PgErrorLike {
  code?: string;
  message: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

function isPgError(e: unknown): e is PgErrorLike {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string';
}

function quoted(message: string): string | undefined {
  return /"([^"]+)"/.exec(message)?.[1];
}

/** Translates a PGlite failure into the SQL Server error for the same situation. */
export function fromPgError(e: unknown, context: { database: string; statement: string; line: number }): SqlError {
  if (e instanceof SqlError) return e;
  if (!isPgError(e)) {
    const message = e instanceof Error ? e.message : String(e);
    return new SqlError({ number: 50000, class: 16, message: `Emulator engine error: ${message}`, line: context.line, cause: e });
  }
  const make = (number: number, message: string, cls = 16, abortsBatch = true) =>
    new SqlError({ number, class: cls, message, line: context.line, cause: e, abortsBatch });
  const name = quoted(e.message) ?? '';
  const verb = /^\s*(\w+)/.exec(context.statement)?.[1]?.toUpperCase() ?? 'INSERT';
  const table = e.table ? `dbo.${e.table}` : '';
  switch (e.code) {
    case 'EM000':
      // Raised by the emulator's own SQL (typesystem.ts) with SQL Server's number and message.
      return make(Number(e.detail) || 50000, e.message, 16, false);
    case '42P01':
      // A catalogue view SQL Server has but the emulator does not build is the emulator's gap,
      // not the user's typo.
      if (/^(sys|information_schema)\./i.test(name)) {
        return Object.assign(unsupported(`The system view ${name}`, context.line), { cause: e });
      }
      return make(208, `Invalid object name '${name}'.`);
    case '42703':
      return make(207, `Invalid column name '${name.replace(/^.*\./, '')}'.`);
    case '42601': {
      const near = /at or near "([^"]*)"/.exec(e.message)?.[1];
      if (near === undefined) return make(102, `Incorrect syntax near the end of the statement.`, 15);
      if (TSQL_KEYWORDS.has(near.toUpperCase())) return make(156, `Incorrect syntax near the keyword '${near.toUpperCase()}'.`, 15);
      return make(102, `Incorrect syntax near '${near}'.`, 15);
    }
    case '42P07':
    case '42710':
    case '42P06':
      return make(2714, `There is already an object named '${name}' in the database.`);
    case '42701':
      return make(2705, `Column names in each table must be unique. Column name '${name}' in table '${table}' is specified more than once.`);
    case '42702':
      return make(209, `Ambiguous column name '${name}'.`);
    case '42883': {
      const fn = /function ([\w.]+)\(/.exec(e.message)?.[1];
      if (fn) return make(195, `'${fn}' is not a recognized built-in function name.`, 15);
      const op = /operator does not exist: (.+)$/.exec(e.message)?.[1] ?? e.message;
      return make(402, `The data types in the operator are incompatible (${op}).`);
    }
    case '42804':
    case '42846':
      return make(206, `Operand type clash: ${e.message}.`);
    case '42803':
      return make(8120, `Column '${name}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.`);
    case '23505': {
      const constraint = e.constraint ?? name;
      const kind = constraint.endsWith('_pkey') || constraint.toUpperCase().startsWith('PK') ? 'PRIMARY KEY' : 'UNIQUE KEY';
      const key = /\)=\((.*)\) already exists/.exec(e.detail ?? '')?.[1] ?? '';
      return make(2627, `Violation of ${kind} constraint '${constraint}'. Cannot insert duplicate key in object '${table}'. The duplicate key value is (${key}).`, 14, false);
    }
    case '23502':
      return make(515, `Cannot insert the value NULL into column '${e.column ?? name}', table '${context.database}.${table}'; column does not allow nulls. ${verb === 'UPDATE' ? 'UPDATE' : 'INSERT'} fails.`, 16, false);
    case '23503': {
      const constraint = e.constraint ?? name;
      return make(547, `The ${verb} statement conflicted with the FOREIGN KEY constraint "${constraint}". The conflict occurred in database "${context.database}", table "${table}".`, 16, false);
    }
    case '23514': {
      const constraint = e.constraint ?? name;
      return make(547, `The ${verb} statement conflicted with the CHECK constraint "${constraint}". The conflict occurred in database "${context.database}", table "${table}".`, 16, false);
    }
    case '21000':
      if (/MERGE/i.test(e.message)) {
        return make(8672, 'The MERGE statement attempted to UPDATE or DELETE the same row more than once. This happens when a target row matches more than one source row. A MERGE statement cannot UPDATE/DELETE the same row of the target table multiple times. Refine the ON clause to ensure a target row matches at most one source row, or use the GROUP BY clause to group the source rows.', 16, false);
      }
      return make(50000, `${e.message} (PostgreSQL SQLSTATE ${e.code} in ${EMULATOR_NAME}).`);
    case '22012':
      return make(8134, 'Divide by zero error encountered.', 16, false);
    case '22001':
      return make(8152, 'String or binary data would be truncated.', 16, false);
    case '22003':
      return make(8115, `Arithmetic overflow error converting expression to data type (${e.message}).`, 16, false);
    case '22P02': {
      const value = /: "([^"]*)"/.exec(e.message)?.[1] ?? '';
      const type = /type (\w+)/.exec(e.message)?.[1] ?? 'the target type';
      return make(245, `Conversion failed when converting the nvarchar value '${value}' to data type ${type}.`);
    }
    case '22007':
    case '22008':
      return make(241, 'Conversion failed when converting date and/or time from character string.');
    case '428C9':
      return make(544, `Cannot insert explicit value for identity column in table '${e.table ?? name}' when IDENTITY_INSERT is set to OFF.`);
    case '2BP01':
      return make(3726, `Could not drop object '${name}' because it is referenced by a FOREIGN KEY constraint.`);
    case '40P01':
      return make(1205, 'Transaction was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.', 13);
    case '55P03':
      return make(1222, 'Lock request time out period exceeded.');
    case '25P02':
      return make(3930, 'The current transaction cannot be committed and cannot support operations that write to the log file. Roll back the transaction.');
    case '0A000':
      return make(40517, `${e.message} (not supported by ${EMULATOR_NAME}).`);
    default:
      return make(50000, `${e.message} (PostgreSQL SQLSTATE ${e.code} in ${EMULATOR_NAME}).`);
  }
}
