/**
 * One emulated database: a PostgreSQL connection (embedded PGlite here, or a server's in
 * postgres.ts) plus the emulator's own catalogue (procedures, sys.* and INFORMATION_SCHEMA views,
 * T-SQL compatibility functions).
 *
 * PGlite has a single connection, so every statement runs under `mutex`; a session inside a
 * transaction keeps holding it from BEGIN until COMMIT/ROLLBACK (see session.ts). On the
 * PostgreSQL backend each session's engine has a connection and a mutex of its own.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, unlink, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, protocol, types } from '@electric-sql/pglite';
import { AppLocks } from './applocks';
import { catalogueSql } from './catalogue';
import { Mutex } from './mutex';
import { typeSystemSql } from './typesystem';
import { PgOid } from './protocol/pg-types';
import type { SqlValue } from './protocol/types';
import type { ProcParam } from './tsql/statements';
import { type DeclaredType, declaredTypeOfDomain } from './tsql/types';
import { quoteLiteral } from './tsql/vocabulary';

export interface PgField {
  name: string;
  dataTypeID: number;
  /** The table and column a result column is read straight from (0 for expressions). */
  tableID: number;
  columnID: number;
  /** PostgreSQL's type modifier: varchar length, numeric precision and scale, timestamp digits; -1 when unknown. */
  typmod: number;
}

export interface PgResult {
  fields: PgField[];
  rows: SqlValue[][];
  rowCount: number | undefined;
  command: string | undefined;
}

/** A syntax error PostgreSQL found in a statement; `position` is 1-based in its text. */
export interface PgSyntaxError {
  message: string;
  position: number;
}

export interface ProcedureDef {
  objectId: number;
  name: string;
  definition: string;
  body: string;
  bodyLine: number;
  params: ProcParam[];
}

const raw = (v: string) => v;
/** Values come back as the text forms protocol/types.ts expects (no Date objects, no floats for numerics). */
export const PARSERS: Record<number, (v: string) => unknown> = {
  [PgOid.INT8]: raw,
  [PgOid.NUMERIC]: raw,
  [PgOid.MONEY]: raw,
  [PgOid.TIMESTAMP]: raw,
  [PgOid.TIMESTAMPTZ]: raw,
  [PgOid.DATE]: raw,
  [PgOid.TIME]: raw,
  [PgOid.JSON]: raw,
  [PgOid.JSONB]: raw,
  [PgOid.INTERVAL]: raw,
  [PgOid.BYTEA]: (v: string) => Buffer.from(v.slice(2), 'hex'),
};

/** The base types of the emulator's domains: only result columns of these can be one. */
const DOMAIN_BASE_TYPES = new Set<number>([PgOid.INT2, PgOid.NUMERIC, PgOid.TIMESTAMP, PgOid.BYTEA]);

/** A parameter in PostgreSQL's text format; binary values as bytea's `\\x` hex. */
export function paramText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  return String(v);
}

function concatMessages(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** sys.databases: the emulator's configured databases. */
export function databasesViewSql(info: EngineInfo): string {
  const rows = info
    .databases()
    .map((d, i) => `(${quoteLiteral(d)}::varchar(128), ${i + 1})`)
    .join(', ');
  // Dropped first: a database persisted by an older emulator has it with other column types.
  return `DROP VIEW IF EXISTS sys.databases CASCADE; CREATE OR REPLACE VIEW sys.databases AS SELECT name, database_id, 'SQL_Latin1_General_CP1_CI_AS'::varchar(128) AS collation_name, 0::__emulator.tinyint AS state, 'ONLINE'::varchar(60) AS state_desc FROM (VALUES ${rows}) d(name, database_id);`;
}

export interface EngineInfo {
  serverName: string;
  productVersion: string;
  databases: () => string[];
}

export function initSql(database: string, info: EngineInfo): string {
  const db = quoteLiteral(database);
  const server = quoteLiteral(info.serverName);
  const version = quoteLiteral(info.productVersion);
  return `
SET TimeZone = 'UTC';
UPDATE pg_catalog.pg_cast SET castcontext = 'i'
  WHERE castsource = 'int4'::regtype AND casttarget = 'bool'::regtype AND castcontext <> 'i';
CREATE SCHEMA IF NOT EXISTS __emulator;
CREATE SCHEMA IF NOT EXISTS sys;
CREATE SCHEMA IF NOT EXISTS "INFORMATION_SCHEMA";
-- __emulator before pg_catalog: its string comparison operators replace PostgreSQL's (typesystem.ts).
SET search_path TO public, __emulator, pg_catalog;
CREATE SEQUENCE IF NOT EXISTS __emulator.object_ids START 1000000001;
CREATE TABLE IF NOT EXISTS __emulator.procedures (
  object_id integer PRIMARY KEY DEFAULT nextval('__emulator.object_ids'),
  name text NOT NULL,
  name_key text NOT NULL UNIQUE,
  definition text NOT NULL,
  body text NOT NULL,
  body_line integer NOT NULL,
  params jsonb NOT NULL,
  create_date timestamp(3) NOT NULL DEFAULT LOCALTIMESTAMP(3),
  modify_date timestamp(3) NOT NULL DEFAULT LOCALTIMESTAMP(3)
);

CREATE OR REPLACE FUNCTION __emulator.tsql_concat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1 || $2';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '+' AND oprleft = 'text'::regtype AND oprright = 'text'::regtype) THEN
    CREATE OPERATOR __emulator.+ (LEFTARG = text, RIGHTARG = text, FUNCTION = __emulator.tsql_concat);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION __emulator.getdate() RETURNS timestamp(3) LANGUAGE sql VOLATILE AS $f$ SELECT (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(3) $f$;
CREATE OR REPLACE FUNCTION __emulator.getutcdate() RETURNS timestamp(3) LANGUAGE sql VOLATILE AS $f$ SELECT (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(3) $f$;
CREATE OR REPLACE FUNCTION __emulator.sysdatetime() RETURNS timestamp(6) LANGUAGE sql VOLATILE AS $f$ SELECT (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(6) $f$;
CREATE OR REPLACE FUNCTION __emulator.sysutcdatetime() RETURNS timestamp(6) LANGUAGE sql VOLATILE AS $f$ SELECT (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(6) $f$;
CREATE OR REPLACE FUNCTION __emulator.sysdatetimeoffset() RETURNS timestamptz LANGUAGE sql VOLATILE AS $f$ SELECT clock_timestamp() $f$;
CREATE OR REPLACE FUNCTION __emulator.newid() RETURNS uuid LANGUAGE sql VOLATILE AS $f$ SELECT gen_random_uuid() $f$;
CREATE OR REPLACE FUNCTION __emulator.len(text) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT length(rtrim($1)) $f$;
CREATE OR REPLACE FUNCTION __emulator.datalength(text) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT length($1) * 2 $f$;
CREATE OR REPLACE FUNCTION __emulator.datalength(bytea) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT length($1) $f$;
CREATE OR REPLACE FUNCTION __emulator.charindex(text, text) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT strpos($2, $1) $f$;
CREATE OR REPLACE FUNCTION __emulator.charindex(text, text, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE WHEN strpos(substr($2, greatest($3, 1)), $1) = 0 THEN 0 ELSE strpos(substr($2, greatest($3, 1)), $1) + greatest($3, 1) - 1 END $f$;
CREATE OR REPLACE FUNCTION __emulator.space(integer) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT repeat(' ', $1) $f$;
CREATE OR REPLACE FUNCTION __emulator.replicate(text, integer) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT repeat($1, $2) $f$;
CREATE OR REPLACE FUNCTION __emulator.year(timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT extract(year FROM $1)::integer $f$;
CREATE OR REPLACE FUNCTION __emulator.month(timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT extract(month FROM $1)::integer $f$;
CREATE OR REPLACE FUNCTION __emulator.day(timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$ SELECT extract(day FROM $1)::integer $f$;
CREATE OR REPLACE FUNCTION __emulator.dateadd(text, double precision, timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE $1
    WHEN 'year' THEN $3 + make_interval(years => $2::integer)
    WHEN 'quarter' THEN $3 + make_interval(months => 3 * $2::integer)
    WHEN 'month' THEN $3 + make_interval(months => $2::integer)
    WHEN 'week' THEN $3 + make_interval(weeks => $2::integer)
    WHEN 'hour' THEN $3 + make_interval(hours => $2::integer)
    WHEN 'minute' THEN $3 + make_interval(mins => $2::integer)
    WHEN 'second' THEN $3 + make_interval(secs => $2::integer)
    WHEN 'millisecond' THEN $3 + make_interval(secs => $2::integer / 1000.0)
    WHEN 'microsecond' THEN $3 + make_interval(secs => $2::integer / 1000000.0)
    ELSE $3 + make_interval(days => $2::integer) END $f$;
CREATE OR REPLACE FUNCTION __emulator.datediff(text, timestamp, timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE $1
    WHEN 'year' THEN (extract(year FROM $3) - extract(year FROM $2))::integer
    WHEN 'quarter' THEN ((extract(year FROM $3) - extract(year FROM $2)) * 4 + extract(quarter FROM $3) - extract(quarter FROM $2))::integer
    WHEN 'month' THEN ((extract(year FROM $3) - extract(year FROM $2)) * 12 + extract(month FROM $3) - extract(month FROM $2))::integer
    WHEN 'week' THEN ((date_trunc('week', $3 + interval '1 day')::date - date_trunc('week', $2 + interval '1 day')::date) / 7)::integer
    WHEN 'hour' THEN ((extract(epoch FROM date_trunc('hour', $3)) - extract(epoch FROM date_trunc('hour', $2))) / 3600)::integer
    WHEN 'minute' THEN ((extract(epoch FROM date_trunc('minute', $3)) - extract(epoch FROM date_trunc('minute', $2))) / 60)::integer
    WHEN 'second' THEN (extract(epoch FROM date_trunc('second', $3)) - extract(epoch FROM date_trunc('second', $2)))::integer
    WHEN 'millisecond' THEN (extract(epoch FROM date_trunc('milliseconds', $3)) * 1000 - extract(epoch FROM date_trunc('milliseconds', $2)) * 1000)::integer
    WHEN 'microsecond' THEN (extract(epoch FROM $3) * 1000000 - extract(epoch FROM $2) * 1000000)::integer
    ELSE ($3::date - $2::date) END $f$;
CREATE OR REPLACE FUNCTION __emulator.datepart(text, timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE $1
    WHEN 'weekday' THEN extract(dow FROM $2)::integer + 1
    WHEN 'dayofyear' THEN extract(doy FROM $2)::integer
    WHEN 'millisecond' THEN (extract(milliseconds FROM $2)::integer % 1000)
    WHEN 'microsecond' THEN (extract(microseconds FROM $2)::integer % 1000000)
    WHEN 'nanosecond' THEN (extract(microseconds FROM $2)::integer % 1000000) * 1000
    WHEN 'second' THEN floor(extract(second FROM $2))::integer
    ELSE date_part($1, $2)::integer END $f$;
CREATE OR REPLACE FUNCTION __emulator.datename(text, timestamp) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE $1 WHEN 'month' THEN to_char($2, 'FMMonth') WHEN 'weekday' THEN to_char($2, 'FMDay')
    ELSE __emulator.datepart($1, $2)::text END $f$;
CREATE OR REPLACE FUNCTION __emulator.db_name() RETURNS varchar(128) LANGUAGE sql IMMUTABLE AS $f$ SELECT ${db}::varchar(128) $f$;
CREATE OR REPLACE FUNCTION __emulator.db_id() RETURNS smallint LANGUAGE sql IMMUTABLE AS $f$ SELECT 1::smallint $f$;
CREATE OR REPLACE FUNCTION __emulator.serverproperty(text) RETURNS varchar(128) LANGUAGE sql IMMUTABLE AS $f$
  SELECT (CASE lower($1)
    WHEN 'productversion' THEN ${version}
    WHEN 'productmajorversion' THEN split_part(${version}, '.', 1)
    WHEN 'productminorversion' THEN split_part(${version}, '.', 2)
    WHEN 'productbuild' THEN split_part(${version}, '.', 3)
    WHEN 'productlevel' THEN 'RTM'
    WHEN 'productupdatelevel' THEN 'CU0'
    WHEN 'edition' THEN 'Developer Edition (64-bit)'
    WHEN 'editionid' THEN '-2139259730'
    WHEN 'engineedition' THEN '3'
    WHEN 'servername' THEN ${server}
    WHEN 'machinename' THEN ${server}
    WHEN 'instancename' THEN NULL
    WHEN 'collation' THEN 'SQL_Latin1_General_CP1_CI_AS'
    WHEN 'isclustered' THEN '0'
    WHEN 'isfulltextinstalled' THEN '0'
    WHEN 'isintegratedsecurityonly' THEN '0'
    WHEN 'ishadrenabled' THEN '0'
    WHEN 'isxtpsupported' THEN '0'
    ELSE NULL END)::varchar(128) $f$;
CREATE OR REPLACE FUNCTION __emulator.object_id(text, text DEFAULT NULL) RETURNS integer LANGUAGE sql STABLE AS $f$
  WITH n AS (SELECT regexp_replace(regexp_replace($1, '^(\\[?[^.\\]]*\\]?\\.)?(\\[?dbo\\]?\\.)', ''), '[\\[\\]]', '', 'g') AS name)
  SELECT COALESCE(
    (SELECT p.object_id FROM __emulator.procedures p, n WHERE ($2 IS NULL OR upper(trim($2)) IN ('P', 'PC')) AND p.name_key = lower(n.name)),
    (SELECT c.oid::integer FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace, n
      WHERE c.relname = n.name AND s.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')
        AND ($2 IS NULL OR upper(trim($2)) = CASE c.relkind WHEN 'v' THEN 'V' ELSE 'U' END))) $f$;
CREATE OR REPLACE FUNCTION __emulator.last_identity() RETURNS numeric LANGUAGE plpgsql VOLATILE AS $f$
  BEGIN RETURN lastval(); EXCEPTION WHEN others THEN RETURN NULL; END $f$;

${typeSystemSql()}
${catalogueSql(db)}
`;
}

let templatePromise: Promise<Blob | undefined> | undefined;

function templateFile(): string {
  // Keyed by the installed PGlite (its resolved path carries the version), so upgrades rebuild it.
  const resolved = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const key = createHash('sha256').update(resolved).digest('hex').slice(0, 12);
  return join(tmpdir(), `studio-mssql-emulator-pglite-${key}.tgz`);
}

/**
 * A freshly initialised data directory as a tarball. initdb dominates PGlite's start-up (seconds);
 * loading this tarball takes about a second, so it is built once per machine and cached on disk.
 */
function freshDataDir(): Promise<Blob | undefined> {
  templatePromise ??= (async () => {
    const file = templateFile();
    try {
      return new Blob([await readFile(file)]);
    } catch {
      // Not built yet on this machine.
    }
    try {
      const pg = await PGlite.create();
      const dump = await pg.dumpDataDir('gzip');
      await pg.close();
      const bytes = Buffer.from(await dump.arrayBuffer());
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
      return new Blob([bytes]);
    } catch {
      return undefined;
    }
  })();
  return templatePromise;
}

async function createPglite(dataDir: string | undefined): Promise<PGlite> {
  // Parsers are set once here; `query` parses each value with them.
  const base = { parsers: PARSERS, relaxedDurability: true };
  if (dataDir !== undefined) {
    // PGlite creates only the last folder of the path; `<dataDir>/<database>` needs its parent.
    await mkdir(dataDir, { recursive: true });
    return PGlite.create({ ...base, dataDir });
  }
  const template = await freshDataDir();
  if (template) {
    try {
      return await PGlite.create({ ...base, loadDataDir: template });
    } catch {
      templatePromise = undefined;
      await unlink(templateFile()).catch(() => undefined);
    }
  }
  return PGlite.create(base);
}

/**
 * One server connection as the engine uses it: PGlite's single in-process connection, or a
 * PostgreSQL server connection of one session (postgres.ts).
 */
export interface PgConnection {
  /** Runs one statement with the extended protocol; results keep each column's table, column and type modifier. */
  query(sql: string, params?: readonly unknown[]): Promise<PgResult>;
  /** Runs SQL text without parameters (may hold several statements). */
  exec(sql: string): Promise<void>;
  /** PostgreSQL's syntax error in each statement, Parse only (see DatabaseEngine.syntaxErrors). */
  syntaxErrors(texts: readonly string[]): Promise<(PgSyntaxError | undefined)[]>;
  /** Applies SET LOCK_TIMEOUT where the server does the locking; PGlite's waits are the mutex's. */
  setLockTimeout(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** What every session of one emulated database shares, whatever connection it uses. */
export class DatabaseState {
  readonly appLocks = new AppLocks();
  readonly procedureCache = new Map<string, ProcedureDef | null>();
  readonly identityTables = new Map<string, boolean>();
  readonly columnTypes = new Map<string, DeclaredType | null>();
  /** Bumped whenever the caches above are dropped for a change (DDL, a procedure's definition). */
  schemaVersion = 0;
}

class PgliteConnection implements PgConnection {
  constructor(private readonly pg: PGlite) {}

  /**
   * It speaks the extended protocol itself (one Parse/Bind/Describe/Execute/Sync message) rather
   * than through `PGlite.query`, whose results drop each column's table, column and type
   * modifier: those say which T-SQL type a column was declared with (see `declaredColumnTypes`).
   */
  async query(sql: string, params: readonly unknown[] = []): Promise<PgResult> {
    const message = concatMessages([
      protocol.serialize.parse({ text: sql }),
      protocol.serialize.bind({ values: params.map(paramText) }),
      protocol.serialize.describe({ type: 'P' }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    ]);
    const messages = await this.pg.runExclusive(() => this.pg.execProtocolStream(message, { syncToFs: false }));
    await this.pg.syncToFs();
    const result: PgResult = { fields: [], rows: [], rowCount: undefined, command: undefined };
    for (const m of messages) {
      if (m instanceof protocol.messages.RowDescriptionMessage) {
        result.fields = m.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, tableID: f.tableID, columnID: f.columnID, typmod: f.dataTypeModifier }));
      } else if (m instanceof protocol.messages.DataRowMessage) {
        result.rows.push(m.fields.map((v, k) => (v === null ? null : (types.parseType(v, result.fields[k]?.dataTypeID ?? PgOid.TEXT, this.pg.parsers) as SqlValue))));
      } else if (m instanceof protocol.messages.CommandCompleteMessage) {
        const words = m.text.split(' ');
        result.command = words[0];
        const count = Number.parseInt(words[words.length - 1] ?? '', 10);
        if (Number.isFinite(count)) result.rowCount = count;
      }
    }
    return result;
  }

  /**
   * It does not need `mutex`: compiling must not wait behind another session's transaction
   * (SQL Server's does not, and SET LOCK_TIMEOUT has not run yet). PGlite runs each exchange
   * alone, and inside an open transaction a savepoint undoes the Parse, so whoever holds the
   * transaction is not affected.
   */
  async syntaxErrors(texts: readonly string[]): Promise<(PgSyntaxError | undefined)[]> {
    const out: (PgSyntaxError | undefined)[] = [];
    for (const text of texts) {
      const messages = await this.pg.runExclusive(() => {
        const inTransaction = this.pg.isInTransaction();
        const parts = [protocol.serialize.parse({ text }), protocol.serialize.sync()];
        if (inTransaction) {
          parts.unshift(protocol.serialize.query('SAVEPOINT em_compile'));
          parts.push(protocol.serialize.query('ROLLBACK TO SAVEPOINT em_compile; RELEASE SAVEPOINT em_compile'));
        }
        return this.pg.execProtocolStream(concatMessages(parts), { throwOnError: false, syncToFs: false });
      });
      const syntax = messages.find((m): m is InstanceType<typeof protocol.messages.DatabaseError> => m instanceof protocol.messages.DatabaseError && m.code === '42601' && m.message.startsWith('syntax error'));
      out.push(syntax ? { message: syntax.message, position: Number(syntax.position ?? 0) } : undefined);
    }
    return out;
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  setLockTimeout(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.pg.close();
  }
}

/**
 * One emulated database as a session sees it: a connection, the lock that serialises use of it,
 * and the state all sessions of the database share.
 *
 * With PGlite every session holds the same engine (one connection, one `mutex` for all); with
 * the PostgreSQL backend each session has an engine of its own over its own server connection,
 * so its `mutex` is never contended and PostgreSQL does the locking.
 */
export class DatabaseEngine {
  readonly mutex = new Mutex();
  private closed = false;

  constructor(
    readonly name: string,
    private readonly connection: PgConnection,
    private readonly state: DatabaseState,
  ) {}

  static async open(name: string, info: EngineInfo, dataDir?: string): Promise<DatabaseEngine> {
    const pg = await createPglite(dataDir);
    await pg.exec(initSql(name, info));
    await pg.exec(databasesViewSql(info));
    return new DatabaseEngine(name, new PgliteConnection(pg), new DatabaseState());
  }

  get appLocks(): AppLocks {
    return this.state.appLocks;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs one statement. The caller must hold `mutex`. */
  query(sql: string, params: readonly unknown[] = []): Promise<PgResult> {
    return this.connection.query(sql, params);
  }

  /**
   * PostgreSQL's syntax error in each statement, if any, without running them: Parse only. Other
   * errors (a missing table, a type mismatch) are left for run time, as SQL Server resolves
   * names when a statement runs. It does not need `mutex`.
   */
  syntaxErrors(texts: readonly string[]): Promise<(PgSyntaxError | undefined)[]> {
    return this.connection.syntaxErrors(texts);
  }

  /** Runs SQL text without parameters (may hold several statements). The caller must hold `mutex`. */
  async exec(sql: string): Promise<void> {
    await this.connection.exec(sql);
  }

  /** SET LOCK_TIMEOUT for waits inside the server (the PostgreSQL backend). */
  setLockTimeout(ms: number): Promise<void> {
    return this.connection.setLockTimeout(ms);
  }

  /** Whether a table has an IDENTITY column (cached until the next DDL). Caller holds `mutex`. */
  async hasIdentity(table: string): Promise<boolean> {
    let known = this.state.identityTables.get(table);
    if (known === undefined) {
      const r = await this.query(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = $1 AND a.attidentity <> '' AND NOT a.attisdropped)",
        [table],
      );
      known = r.rows[0]?.[0] === true;
      this.state.identityTables.set(table, known);
    }
    return known;
  }

  /**
   * The declared T-SQL type of each result column read straight from a table column stored as
   * one of the emulator's domains (TINYINT, MONEY, DATETIME, BINARY(n) …), which PostgreSQL
   * reports as the domain's base type; undefined for the others. Cached until the next DDL.
   * The caller holds `mutex`.
   */
  async declaredColumnTypes(fields: readonly PgField[]): Promise<(DeclaredType | undefined)[]> {
    const key = (f: PgField) => `${f.tableID}.${f.columnID}`;
    const unknown = fields.filter((f) => f.tableID > 0 && DOMAIN_BASE_TYPES.has(f.dataTypeID) && !this.state.columnTypes.has(key(f)));
    if (unknown.length > 0) {
      const pairs = unknown.map((f) => `(${Number(f.tableID)}, ${Number(f.columnID)})`).join(', ');
      const r = await this.query(
        `SELECT a.attrelid, a.attnum, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          WHERE (a.attrelid::bigint, a.attnum::integer) IN (${pairs}) AND t.typnamespace = '__emulator'::regnamespace`,
      );
      for (const f of unknown) this.state.columnTypes.set(key(f), null);
      for (const [rel, num, typname] of r.rows) this.state.columnTypes.set(`${String(rel)}.${String(num)}`, declaredTypeOfDomain(String(typname)) ?? null);
    }
    return fields.map((f) => (f.tableID > 0 ? (this.state.columnTypes.get(key(f)) ?? undefined) : undefined));
  }

  /** Schema changed: forget cached facts about tables. */
  invalidateSchema(): void {
    this.state.identityTables.clear();
    this.state.columnTypes.clear();
    this.state.schemaVersion++;
  }

  /** Counts schema and procedure changes: a transaction notes it at BEGIN to tell, at ROLLBACK, whether it made any. */
  get schemaVersion(): number {
    return this.state.schemaVersion;
  }

  cachedProcedure(key: string): ProcedureDef | null | undefined {
    return this.state.procedureCache.get(key);
  }

  cacheProcedure(key: string, def: ProcedureDef | null): void {
    this.state.procedureCache.set(key, def);
  }

  /** Procedure definitions are transactional; forget everything after a rollback. */
  invalidateProcedures(): void {
    this.state.procedureCache.clear();
    this.state.identityTables.clear();
    this.state.columnTypes.clear();
    this.state.schemaVersion++;
  }

  /**
   * A transaction that began at `schemaVersion` `since` was rolled back. The caches hold only
   * committed facts unless a change (DDL, a procedure's definition) happened since: then they are
   * dropped. A read-only transaction keeps them, so the next statement does not re-read the
   * catalogue (about 1 ms on PGlite per query after every read-only console run).
   */
  rolledBack(since: number | undefined): void {
    if (since === undefined || since !== this.state.schemaVersion) this.invalidateProcedures();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }
}
