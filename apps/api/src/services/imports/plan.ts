// How the file's columns land in the table: the header mapped through the project's renames and
// ignores to the table's columns, checked before any row is written (unknown, duplicated and missing
// required columns are named), with one converter per written column.
import { ImportRefusal } from '../errors';
import type { TargetTable } from './catalogue';
import { csvSettingsSchema, primaryKeyColumns, type CsvSettings, type ProjectConfig, type TableMapping } from './project-config';
import { converterFor, type Converter, type Dialect, type TargetColumn } from './values';

export type ImportMode = 'insert' | 'upsert' | 'replace';

export interface ImportPlan {
  table: TargetTable;
  /** For each CSV field position: the index into `columns`, or -1 when the field is ignored. */
  fieldTargets: number[];
  /** The columns written, in the order values are sent. */
  columns: TargetColumn[];
  converters: Converter[];
  /** The upsert key (columns among `columns`); empty for insert and replace. */
  keyColumns: string[];
  /** What the file calls each written column (for rejects: the header name). */
  sourceNames: string[];
}

function findColumn(table: TargetTable, name: string): TargetColumn | undefined {
  return table.columns.find((column) => column.name === name) ?? unique(table.columns.filter((column) => column.name.toLowerCase() === name.toLowerCase()));
}

function unique<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

/**
 * Maps `header` (null: the file has none, so its fields are the table's writable columns in order)
 * onto `table`. Refuses with column_mapping_invalid naming every problem at once.
 */
export function planImport(options: {
  table: TargetTable;
  header: (string | null)[] | null;
  mapping: TableMapping | undefined;
  config: ProjectConfig;
  mode: ImportMode;
  dialect: Dialect;
  csv: CsvSettings;
}): ImportPlan {
  const { table, mapping, mode } = options;
  const writable = table.columns.filter((column) => !column.generated);
  const header = options.header ?? writable.map((column) => column.name);
  const ignored = new Set((mapping?.ignore ?? []).map((name) => name.toLowerCase()));
  const fieldTargets: number[] = [];
  const columns: TargetColumn[] = [];
  const sourceNames: string[] = [];
  const unknown: string[] = [];
  const duplicate: string[] = [];
  const computed: string[] = [];
  const numbered: string[] = [];
  for (const raw of header) {
    const name = (raw ?? '').trim();
    if (ignored.has(name.toLowerCase())) {
      fieldTargets.push(-1);
      continue;
    }
    const targetName = mapping?.columns[name] ?? name;
    const column = findColumn(table, targetName);
    if (!column) {
      unknown.push(name === targetName ? name : `${name} → ${targetName}`);
      fieldTargets.push(-1);
    } else if (column.generated) {
      computed.push(column.name);
      fieldTargets.push(-1);
    } else if (column.identity && options.dialect === 'mssql') {
      // A bulk load into SQL Server numbers IDENTITY columns itself and drops the file's values
      // (tedious cannot ask for KEEPIDENTITY): refused rather than silently renumbered.
      numbered.push(column.name);
      fieldTargets.push(-1);
    } else if (columns.includes(column)) {
      duplicate.push(column.name);
      fieldTargets.push(-1);
    } else {
      fieldTargets.push(columns.length);
      columns.push(column);
      sourceNames.push(name);
    }
  }
  const missing = writable.filter((column) => !column.nullable && !column.hasDefault && !columns.includes(column)).map((column) => column.name);
  let keyColumns: string[] = [];
  const missingKey: string[] = [];
  if (mode === 'upsert') {
    const declared = mapping?.primary_key ?? (table.primaryKey.length > 0 ? table.primaryKey : options.config.defaults.primary_key);
    for (const key of primaryKeyColumns(declared)) {
      const column = columns.find((candidate) => candidate.name.toLowerCase() === key.toLowerCase());
      if (column) keyColumns.push(column.name);
      else missingKey.push(key);
    }
    if (missingKey.length > 0) keyColumns = [];
  }
  const problems = [
    unknown.length > 0 && `not columns of ${table.qualified}: ${unknown.join(', ')}`,
    duplicate.length > 0 && `named twice: ${duplicate.join(', ')}`,
    computed.length > 0 && `computed by the database: ${computed.join(', ')}`,
    numbered.length > 0 && `IDENTITY column${numbered.length > 1 ? 's' : ''} ${numbered.join(', ')}: SQL Server numbers ${numbered.length > 1 ? 'them' : 'it'} itself; leave ${numbered.length > 1 ? 'them' : 'it'} out of the file or ignore ${numbered.length > 1 ? 'them' : 'it'} in the project's mapping`,
    missing.length > 0 && `required columns missing from the file: ${missing.join(', ')}`,
    missingKey.length > 0 && `upsert needs the key column${missingKey.length > 1 ? 's' : ''} ${missingKey.join(', ')} in the file`,
    columns.length === 0 && 'no column of the file maps to the table',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) {
    throw new ImportRefusal('column_mapping_invalid', `The file's columns do not fit ${table.qualified}: ${problems.join('; ')}`, {
      field: 'file',
      table: table.qualified,
      unknownColumns: unknown,
      duplicateColumns: duplicate,
      computedColumns: computed,
      identityColumns: numbered,
      missingColumns: missing,
      missingKeyColumns: missingKey,
    });
  }
  return { table, fieldTargets, columns, converters: columns.map((column) => converterFor(column, options.dialect, options.csv)), keyColumns, sourceNames };
}

export interface RowReject {
  column: string | null;
  value: string | null;
  reason: string;
}

/** One record → the values to send, or why it is rejected. */
export function convertRecord(plan: ImportPlan, fields: (string | null)[]): { values: (string | null)[] } | { reject: RowReject } {
  if (fields.length !== plan.fieldTargets.length) {
    return { reject: { column: null, value: null, reason: `has ${fields.length} fields; the header has ${plan.fieldTargets.length}` } };
  }
  const values: (string | null)[] = new Array<string | null>(plan.columns.length);
  for (let i = 0; i < fields.length; i++) {
    const target = plan.fieldTargets[i]!;
    if (target < 0) continue;
    const raw = fields[i] ?? null;
    const converted = plan.converters[target]!(raw);
    if (!converted.ok) return { reject: { column: plan.columns[target]!.name, value: raw, reason: converted.reason } };
    values[target] = converted.value;
  }
  return { values };
}

const DEFAULT_CSV = csvSettingsSchema.parse({});

/** What a database's own loader may read as the file's raw bytes must first be, whatever the database. */
export interface RawLoadOptions {
  plan: ImportPlan;
  csv: CsvSettings;
  mode: ImportMode;
  allOrNothing: boolean;
  firstBatchClean: boolean;
}

/**
 * The rule both fast paths share (pg-passthrough.ts, mysql-passthrough.ts): nothing to set aside
 * (all-or-nothing, no upsert, the first batch clean), the file already in the loader's terms (UTF-8
 * with a header, PostgreSQL's NULL rule, ISO dates and times) and its fields in the table's order.
 * Each path adds what its loader can read (delimiter, quote, column types).
 */
export function fitsRawLoad({ plan, csv, mode, allOrNothing, firstBatchClean }: RawLoadOptions): boolean {
  return (
    allOrNothing &&
    firstBatchClean &&
    mode !== 'upsert' &&
    csv.header &&
    csv.encoding === 'utf-8' &&
    csv.null_markers.length === 1 &&
    csv.null_markers[0] === '' &&
    csv.delimiter !== csv.quote &&
    csv.date_format === DEFAULT_CSV.date_format &&
    csv.time_format === DEFAULT_CSV.time_format &&
    csv.timestamp_format === DEFAULT_CSV.timestamp_format &&
    plan.fieldTargets.every((target, index) => target === index)
  );
}
