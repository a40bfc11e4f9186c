/**
 * The PostgreSQL backend: each emulated database is a PostgreSQL database the emulator creates
 * on a server given by URL (and drops at close), and each TDS session talks to it over a server
 * connection of its own. Isolation, row locks and #temp tables (PostgreSQL temp tables live and
 * die with their connection) then come from PostgreSQL itself; nothing in the emulator
 * serialises sessions (see docs/decisions/019-postgresql-backend.md).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DatabaseEngine, DatabaseState, type EngineInfo, PARSERS, type PgConnection, type PgResult, type PgSyntaxError, databasesViewSql, initSql, paramText } from './engine';
import type { SqlValue } from './protocol/types';
import { quoteIdent } from './tsql/vocabulary';

/** The backend URL was not a postgres:// URL, or its server refused to create a database. */
export class BackendError extends Error {
  readonly code = 'EBACKEND';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
  }
}

/** Values as the text forms protocol/types.ts expects, as PGlite is configured in engine.ts. */
const TYPES = {
  getTypeParser: (oid: number) => PARSERS[oid] ?? pg.types.getTypeParser(oid, 'text'),
};

/** What a connection string looks like in messages: never its password. */
function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

export function parseBackendUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackendError('backendUrl is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new BackendError(`backendUrl: unsupported scheme '${parsed.protocol}' (expected postgres://)`);
  }
  return parsed;
}

/** The PostgreSQL server the emulated databases live on; one per emulator. */
export class PostgresBackend {
  private readonly prefix = `mssql_emulator_${process.pid}_${randomBytes(3).toString('hex')}`;
  private readonly created: string[] = [];
  private provisioned = 0;
  private readonly connections = new Set<PgClientConnection>();
  private closed = false;

  constructor(private readonly url: URL) {
    // The URL carries a password: keep it out of inspection and JSON.
    Object.defineProperty(this, 'url', { enumerable: false });
  }

  /** The server's address for messages, without the password. */
  get description(): string {
    return redact(this.url);
  }

  /** Creates the PostgreSQL database behind emulated database `name` and installs the emulator's catalogue in it. */
  async provision(name: string, info: EngineInfo): Promise<PostgresDatabase> {
    if (this.closed) throw new BackendError('the backend was closed');
    // Counted before the first await: databases are provisioned concurrently.
    const database = `${this.prefix}_${++this.provisioned}`;
    const admin = new pg.Client({ connectionString: this.url.href });
    try {
      await admin.connect();
      // template0: nothing from the server's template1 leaks into an emulated database.
      await admin.query(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
      this.created.push(database);
      // Settings every later connection starts with (initSql sets them for its own session only).
      await admin.query(`ALTER DATABASE ${quoteIdent(database)} SET search_path TO public, __emulator, pg_catalog`);
      await admin.query(`ALTER DATABASE ${quoteIdent(database)} SET TimeZone TO 'UTC'`);
    } catch (e) {
      throw new BackendError(`cannot create a database on ${this.description}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    } finally {
      await admin.end().catch(() => undefined);
    }
    const db = new PostgresDatabase(name, this, this.urlOf(database));
    const setup = await db.connect();
    try {
      await setup.exec(initSql(name, info));
      await setup.exec(databasesViewSql(info));
    } finally {
      await setup.close();
    }
    return db;
  }

  private urlOf(database: string): URL {
    const url = new URL(this.url.href);
    url.pathname = `/${database}`;
    return url;
  }

  /** @internal */
  track(connection: PgClientConnection): void {
    this.connections.add(connection);
  }

  /** @internal */
  untrack(connection: PgClientConnection): void {
    this.connections.delete(connection);
  }

  /** Closes every connection and drops the databases this backend created (and no other). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.connections].map((c) => c.close()));
    if (this.created.length === 0) return;
    const admin = new pg.Client({ connectionString: this.url.href });
    try {
      await admin.connect();
      for (const database of this.created) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
}

/** One emulated database on the server: opens a connection (and an engine over it) per session. */
export class PostgresDatabase {
  private readonly state = new DatabaseState();

  constructor(
    readonly name: string,
    private readonly backend: PostgresBackend,
    private readonly url: URL,
  ) {
    Object.defineProperty(this, 'url', { enumerable: false });
  }

  async connect(): Promise<PgClientConnection> {
    const client = new pg.Client({ connectionString: this.url.href });
    // A server connection that dies (server restart, pg_terminate_backend) fails its next query;
    // the event itself must not crash the emulator.
    client.on('error', () => undefined);
    await client.connect();
    const connection = new PgClientConnection(client, this.backend);
    this.backend.track(connection);
    return connection;
  }

  /** An engine over a new connection: a session's own view of this database. */
  async openEngine(): Promise<DatabaseEngine> {
    return new DatabaseEngine(this.name, await this.connect(), this.state);
  }
}

/** A node-postgres connection as the engine's PgConnection. */
class PgClientConnection implements PgConnection {
  /** The transaction status of the last ReadyForQuery: I (idle), T (in a transaction) or E (failed one). */
  private txStatus = 'I';
  private lockTimeoutMs = -1;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly client: pg.Client,
    private readonly backend: PostgresBackend,
  ) {
    // The connection object is node-postgres's own protocol layer; its type is not exported.
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('readyForQuery', (m: { status: string }) => {
      this.txStatus = m.status;
    });
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<PgResult> {
    const r = await this.client.query<SqlValue[]>({ text: sql, values: params.map(paramText), rowMode: 'array', types: TYPES, queryMode: 'extended' } as pg.QueryArrayConfig);
    return {
      fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, tableID: f.tableID, columnID: f.columnID, typmod: f.dataTypeModifier })),
      rows: r.rows,
      rowCount: r.rowCount ?? undefined,
      command: r.command || undefined,
    };
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  /**
   * Parse and Sync only, so nothing runs. A Parse that fails inside a transaction would abort
   * it, so there a savepoint undoes it.
   */
  async syntaxErrors(texts: readonly string[]): Promise<(PgSyntaxError | undefined)[]> {
    const out: (PgSyntaxError | undefined)[] = [];
    for (const text of texts) {
      const inTransaction = this.txStatus === 'T';
      if (inTransaction) await this.client.query('SAVEPOINT em_compile');
      const error = await this.parseOnly(text);
      if (inTransaction) await this.client.query('ROLLBACK TO SAVEPOINT em_compile; RELEASE SAVEPOINT em_compile');
      const syntax = error !== undefined && error.code === '42601' && error.message.startsWith('syntax error');
      out.push(syntax ? { message: error.message, position: Number(error.position ?? 0) } : undefined);
    }
    return out;
  }

  /**
   * node-postgres runs any object with `submit` as a query; it ends with handleError (the client
   * forgets the query then) or with handleReadyForQuery. Queries sent after it wait for the
   * server's ReadyForQuery either way.
   */
  private parseOnly(text: string): Promise<{ code?: string; message: string; position?: string } | undefined> {
    return new Promise((resolve) => {
      this.client.query({
        submit: (connection: pg.Connection) => {
          connection.parse({ name: '', text, types: [] }, false);
          connection.sync();
        },
        handleError: (e: { code?: string; message: string; position?: string }) => resolve(e),
        handleReadyForQuery: () => resolve(undefined),
      } as pg.Submittable);
    });
  }

  /** SQL Server's LOCK_TIMEOUT: -1 waits forever, 0 fails at once; PostgreSQL's 0 means forever. */
  async setLockTimeout(ms: number): Promise<void> {
    if (ms === this.lockTimeoutMs) return;
    const value = ms < 0 ? '0' : `${Math.max(ms, 1)}ms`;
    await this.client.query(`SET lock_timeout = '${value}'`);
    this.lockTimeoutMs = ms;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.backend.untrack(this);
      await this.client.end().catch(() => undefined);
    })();
    return this.closing;
  }
}
