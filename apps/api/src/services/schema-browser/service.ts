// The schema browser: a workspace database's catalogue (schemas, tables and views with row
// estimates, columns, indexes, procedures and functions with parameters), read through the
// connection's pool and cached per pool. The cache key is the pool's key, which carries a
// fingerprint of the connection's settings: a changed connection gets a new pool and so a fresh
// read, and `refresh` reads again on demand.
import { WorkspacePoolError, type PoolLease } from '@studio/mssql-pool';
import { ConnectionOperationError } from '../errors';
import type { WorkspaceDatabases } from '../workspace-databases';
import { catalogueReaders } from './readers';
import { MAX_TABLES, type CatalogueRows, type CatalogueSchema, type CatalogueTable, type DatabaseCatalogue } from './types';

/** Catalogues kept per process (least recently used goes first). */
const CACHE_ENTRIES = 200;
/** How long a cached catalogue is served before it is read again. */
export const DEFAULT_CATALOGUE_TTL_MS = 5 * 60_000;
/** Waiting for a pooled connection. */
const ACQUIRE_TIMEOUT_MS = 15_000;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** Groups flat catalogue rows into sorted schemas; keeps at most MAX_TABLES tables. */
export function assemble(rows: CatalogueRows, meta: { type: DatabaseCatalogue['type']; database: string; loadedAt: Date }): DatabaseCatalogue {
  const schemas = new Map<string, CatalogueSchema>();
  const schemaOf = (name: string) => {
    let s = schemas.get(name);
    if (!s) schemas.set(name, (s = { name, tables: [], routines: [] }));
    return s;
  };
  const sortedTables = [...rows.tables].sort((a, b) => a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name));
  const truncated = sortedTables.length > MAX_TABLES;
  const tables = new Map<string, CatalogueTable>();
  for (const t of sortedTables.slice(0, MAX_TABLES)) {
    const table: CatalogueTable = { name: t.name, kind: t.kind, rowEstimate: t.rowEstimate, columns: [], indexes: [] };
    tables.set(JSON.stringify([t.schema, t.name]), table);
    schemaOf(t.schema).tables.push(table);
  }
  for (const i of rows.indexes) {
    const table = tables.get(JSON.stringify([i.schema, i.table]));
    if (!table) continue;
    const index = table.indexes.find((x) => x.name === i.name);
    if (index) index.columns.push(i.column);
    else table.indexes.push({ name: i.name, columns: [i.column], unique: i.unique, primary: i.primary });
  }
  for (const c of rows.columns) {
    const table = tables.get(JSON.stringify([c.schema, c.table]));
    if (!table) continue;
    const primaryKey = table.indexes.some((i) => i.primary && i.columns.includes(c.name));
    table.columns.push({ name: c.name, dataType: c.dataType, nullable: c.nullable, default: c.default, primaryKey });
  }
  const parameters = new Map<string, CatalogueRows['parameters']>();
  for (const p of rows.parameters) {
    const key = JSON.stringify([p.schema, p.specificName]);
    parameters.set(key, [...(parameters.get(key) ?? []), p]);
  }
  for (const r of rows.routines) {
    const params = parameters.get(JSON.stringify([r.schema, r.specificName])) ?? [];
    schemaOf(r.schema).routines.push({ name: r.name, kind: r.kind, parameters: params.map((p) => ({ name: p.name, dataType: p.dataType, mode: p.mode })) });
  }
  for (const s of schemas.values()) s.routines.sort(byName);
  return { ...meta, schemas: [...schemas.values()].sort(byName), truncated };
}

export class SchemaBrowserService {
  readonly #cache = new Map<string, { catalogue: DatabaseCatalogue; expiresAt: number }>();
  /** One read per pool at a time: concurrent callers share it. */
  readonly #reading = new Map<string, Promise<DatabaseCatalogue>>();

  constructor(
    private readonly databases: WorkspaceDatabases,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {}

  /** The catalogue of a connection's database: from the cache unless `refresh` or expired. */
  async catalogue(workspaceId: string, connectionId: string, options: { refresh?: boolean } = {}): Promise<DatabaseCatalogue> {
    const database = await this.databases.targetOf(workspaceId, { connectionId });
    return this.databases.withConnection(
      database,
      async (lease) => {
        const now = (this.options.now ?? Date.now)();
        const cached = this.#cache.get(lease.key);
        if (cached && !options.refresh && cached.expiresAt > now) {
          this.#cache.delete(lease.key);
          this.#cache.set(lease.key, cached);
          return cached.catalogue;
        }
        const pending = this.#reading.get(lease.key);
        if (pending) return pending;
        const read = this.#read(lease, database.settings.database).finally(() => this.#reading.delete(lease.key));
        this.#reading.set(lease.key, read);
        return read;
      },
      // Browsing only reads: a readable secondary will do when the connection routes read intent.
      { timeoutMs: ACQUIRE_TIMEOUT_MS, readOnly: true },
    );
  }

  async #read(lease: PoolLease, database: string): Promise<DatabaseCatalogue> {
    const query = async <Row>(sql: string) => (await lease.query<Row>(sql)).rows;
    let rows: CatalogueRows;
    try {
      rows = await catalogueReaders[lease.type](query);
    } catch (error) {
      throw catalogueError(lease.type, error);
    }
    const now = (this.options.now ?? Date.now)();
    const catalogue = assemble(rows, { type: lease.type, database, loadedAt: new Date(now) });
    this.#cache.set(lease.key, { catalogue, expiresAt: now + (this.options.ttlMs ?? DEFAULT_CATALOGUE_TTL_MS) });
    if (this.#cache.size > CACHE_ENTRIES) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return catalogue;
  }
}

/** A catalogue query the database refused (e.g. a login without VIEW DEFINITION): its number, not its text. */
function catalogueError(type: string, error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof WorkspacePoolError) return error;
  const code = (error as { number?: unknown; code?: unknown; errno?: unknown }).number ?? (error as { code?: unknown }).code ?? (error as { errno?: unknown }).errno;
  return new ConnectionOperationError('The database refused a catalogue query of the schema browser', {
    reason: 'catalogue_query_failed',
    database_type: type,
    error_code: code === undefined || code === null ? null : String(code),
  });
}
