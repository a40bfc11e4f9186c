// What the schema browser shows of a workspace database, the same for every database type.
import type { DatabaseType } from '@studio/mssql-pool';

export interface CatalogueColumn {
  name: string;
  /** As the database spells it, with length/precision: `nvarchar(80)`, `numeric(10,2)`, `varchar(255)`. */
  dataType: string;
  nullable: boolean;
  /** The default expression as the catalogue has it, or null. */
  default: string | null;
  /** Part of the primary key. */
  primaryKey: boolean;
}

export interface CatalogueIndex {
  name: string;
  /** Key columns in key order. */
  columns: string[];
  unique: boolean;
  primary: boolean;
}

export interface CatalogueTable {
  name: string;
  kind: 'table' | 'view';
  /** The catalogue's row count or estimate (SQL Server sys.partitions, PostgreSQL reltuples, MySQL TABLE_ROWS); null when unknown. */
  rowEstimate: number | null;
  columns: CatalogueColumn[];
  indexes: CatalogueIndex[];
}

export interface CatalogueParameter {
  /** As declared (`@customer` on SQL Server); null for an unnamed PostgreSQL argument. */
  name: string | null;
  dataType: string;
  mode: 'in' | 'out' | 'inout';
}

export interface CatalogueRoutine {
  name: string;
  kind: 'procedure' | 'function';
  parameters: CatalogueParameter[];
}

export interface CatalogueSchema {
  name: string;
  tables: CatalogueTable[];
  routines: CatalogueRoutine[];
}

export interface DatabaseCatalogue {
  type: DatabaseType;
  /** The database the connection opens. */
  database: string;
  schemas: CatalogueSchema[];
  /** When the catalogue was read (the answer may come from the cache). */
  loadedAt: Date;
  /** More tables than the browser reads (MAX_TABLES); the rest are left out. */
  truncated: boolean;
}

/** Rows the readers produce; `assemble` groups them into schemas. */
export interface CatalogueRows {
  tables: { schema: string; name: string; kind: 'table' | 'view'; rowEstimate: number | null }[];
  columns: { schema: string; table: string; name: string; dataType: string; nullable: boolean; default: string | null }[];
  indexes: { schema: string; table: string; name: string; unique: boolean; primary: boolean; column: string }[];
  routines: { schema: string; name: string; kind: 'procedure' | 'function'; specificName: string }[];
  parameters: { schema: string; specificName: string; name: string | null; dataType: string; mode: 'in' | 'out' | 'inout' }[];
}

/** Tables (and views) read per database; a larger catalogue is cut, flagged `truncated`. */
export const MAX_TABLES = 5_000;
