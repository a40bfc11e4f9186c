// Completion from the live schema, as a pure function of the text and the cursor (so it is tested
// without a browser): tables after FROM/JOIN/INTO/UPDATE, procedures after EXEC/CALL, the members
// of a schema or the columns of a table or alias after a dot, else columns of the tables in scope
// and keywords. After a dot only names are offered, never keywords: `dbo.ord` completes to
// `dbo.orders`, not `ORDER`.

export type SqlDialect = 'mssql' | 'postgres' | 'mysql';

/** The part of a catalogue completion needs. */
export interface CompletionCatalogue {
  type: SqlDialect;
  schemas: {
    name: string;
    tables: { name: string; kind: 'table' | 'view'; columns: { name: string; dataType: string }[] }[];
    routines: { name: string; kind: 'procedure' | 'function' }[];
  }[];
}

export interface SqlCompletionOption {
  label: string;
  /** What is inserted when it differs from the label (a quoted name). */
  apply?: string;
  type: 'keyword' | 'namespace' | 'class' | 'property' | 'function';
  detail?: string;
  boost?: number;
}

export interface SqlCompletionResult {
  from: number;
  options: SqlCompletionOption[];
}

const KEYWORDS = [
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'NULL', 'IS', 'IN', 'EXISTS', 'BETWEEN', 'LIKE', 'AS', 'ON', 'JOIN', 'INNER', 'LEFT', 'RIGHT',
  'FULL', 'OUTER', 'CROSS', 'GROUP BY', 'ORDER BY', 'HAVING', 'DISTINCT', 'UNION', 'ALL', 'INSERT INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE',
  'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'ASC', 'DESC', 'COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'COALESCE', 'CAST', 'WITH', 'BEGIN', 'COMMIT', 'ROLLBACK',
];
const DIALECT_KEYWORDS: Record<SqlDialect, string[]> = {
  mssql: ['TOP', 'EXEC', 'DECLARE', 'NVARCHAR', 'GETDATE()', 'OFFSET', 'FETCH NEXT', 'ROWS ONLY'],
  postgres: ['LIMIT', 'OFFSET', 'RETURNING', 'CALL', 'ILIKE', 'now()'],
  mysql: ['LIMIT', 'OFFSET', 'CALL', 'NOW()'],
};
const DEFAULT_SCHEMA: Record<SqlDialect, string | null> = { mssql: 'dbo', postgres: 'public', mysql: null };
const TABLE_CONTEXT = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE']);
const ROUTINE_CONTEXT = new Set(['EXEC', 'EXECUTE', 'CALL']);
/** Words that end a table reference, so they are never taken for its alias. */
const NOT_ALIASES = new Set(['WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'OUTER', 'ON', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'UNION', 'SET', 'VALUES', 'WITH', 'AS', 'SELECT', 'OFFSET', 'FETCH']);

const PLAIN = /^[A-Za-z_][A-Za-z0-9_$#@]*$/;
const NAME = String.raw`(?:\[[^\]]+\]|"[^"]+"|\x60[^\x60]+\x60|[A-Za-z_#@][\w$#@]*)`;

function unquote(name: string): string {
  if ((name.startsWith('[') && name.endsWith(']')) || (name.startsWith('"') && name.endsWith('"')) || (name.startsWith('`') && name.endsWith('`'))) return name.slice(1, -1);
  return name;
}

/** A name as the dialect needs it written: quoted only when it is not a plain identifier. */
export function quoteName(name: string, dialect: SqlDialect): string {
  if (PLAIN.test(name)) return name;
  if (dialect === 'mssql') return `[${name.replace(/]/g, ']]')}]`;
  if (dialect === 'mysql') return `\`${name.replace(/`/g, '``')}\``;
  return `"${name.replace(/"/g, '""')}"`;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The statement around `pos` (split at semicolons; good enough to find the tables in scope). */
function statementAt(doc: string, pos: number): string {
  const start = doc.lastIndexOf(';', pos - 1) + 1;
  const end = doc.indexOf(';', pos);
  return doc.slice(start, end === -1 ? doc.length : end);
}

interface TableInScope {
  schema: string | null;
  table: string;
  alias: string | null;
}

function tablesInScope(statement: string): TableInScope[] {
  const found: TableInScope[] = [];
  const re = new RegExp(String.raw`\b(?:FROM|JOIN|UPDATE|INTO)\s+(${NAME})(?:\s*\.\s*(${NAME}))?(?:\s+(?:AS\s+)?(${NAME}))?`, 'gi');
  for (const m of statement.matchAll(re)) {
    const first = unquote(m[1] ?? '');
    const second = m[2] === undefined ? null : unquote(m[2]);
    const aliasWord = m[3] === undefined ? null : unquote(m[3]);
    const alias = aliasWord !== null && !NOT_ALIASES.has(aliasWord.toUpperCase()) ? aliasWord : null;
    found.push(second === null ? { schema: null, table: first, alias } : { schema: first, table: second, alias });
  }
  return found;
}

function findTable(catalogue: CompletionCatalogue, schema: string | null, table: string) {
  const preferred = schema ?? DEFAULT_SCHEMA[catalogue.type];
  const candidates = catalogue.schemas.flatMap((s) => s.tables.filter((t) => same(t.name, table)).map((t) => ({ schema: s.name, table: t })));
  return (
    candidates.find((c) => schema !== null && same(c.schema, schema)) ??
    (schema === null ? (candidates.find((c) => preferred !== null && same(c.schema, preferred)) ?? candidates[0]) : undefined)
  )?.table;
}

function columnOptions(table: { name: string; columns: { name: string; dataType: string }[] }, dialect: SqlDialect, boost = 2): SqlCompletionOption[] {
  return table.columns.map((c) => option(c.name, 'property', dialect, `${c.dataType} · ${table.name}`, boost));
}

function option(name: string, type: SqlCompletionOption['type'], dialect: SqlDialect, detail?: string, boost?: number): SqlCompletionOption {
  const quoted = quoteName(name, dialect);
  return { label: name, type, ...(quoted !== name && { apply: quoted }), ...(detail !== undefined && { detail }), ...(boost !== undefined && { boost }) };
}

/** Tables of the default schema unqualified, the others as `schema.table`, plus the schema names. */
function tableOptions(catalogue: CompletionCatalogue): SqlCompletionOption[] {
  const dialect = catalogue.type;
  const fallback = DEFAULT_SCHEMA[dialect];
  const options: SqlCompletionOption[] = [];
  for (const s of catalogue.schemas) {
    const isDefault = fallback !== null ? same(s.name, fallback) : catalogue.schemas.length === 1;
    if (!isDefault) options.push(option(s.name, 'namespace', dialect, 'schema'));
    for (const t of s.tables) {
      if (isDefault) options.push(option(t.name, 'class', dialect, t.kind, 2));
      else {
        const label = `${s.name}.${t.name}`;
        options.push({ label, apply: `${quoteName(s.name, dialect)}.${quoteName(t.name, dialect)}`, type: 'class', detail: t.kind, boost: 1 });
      }
    }
  }
  return options;
}

function routineOptions(catalogue: CompletionCatalogue, schemaName?: string): SqlCompletionOption[] {
  const dialect = catalogue.type;
  const fallback = DEFAULT_SCHEMA[dialect];
  return catalogue.schemas
    .filter((s) => schemaName === undefined || same(s.name, schemaName))
    .flatMap((s) =>
      s.routines.map((r) => {
        const qualified = schemaName === undefined && !(fallback !== null && same(s.name, fallback)) && catalogue.schemas.length > 1;
        return qualified
          ? { label: `${s.name}.${r.name}`, apply: `${quoteName(s.name, dialect)}.${quoteName(r.name, dialect)}`, type: 'function' as const, detail: r.kind }
          : option(r.name, 'function', dialect, r.kind, 2);
      }),
    );
}

/** What to offer at `pos` in `doc`; null when nothing fits (then no popup opens). */
export function sqlCompletions(doc: string, pos: number, catalogue: CompletionCatalogue, options: { explicit?: boolean } = {}): SqlCompletionResult | null {
  const before = doc.slice(0, pos);
  const word = /[\w$#@]*$/.exec(before)?.[0] ?? '';
  const from = pos - word.length;
  const dialect = catalogue.type;

  // After a dot: members of a schema, or columns of a table or alias. Never keywords.
  const qualified = new RegExp(String.raw`(${NAME})\s*\.\s*$`).exec(before.slice(0, from));
  if (qualified) {
    const qualifier = unquote(qualified[1] ?? '');
    const statement = statementAt(doc, pos);
    const inScope = tablesInScope(statement).find((t) => (t.alias !== null && same(t.alias, qualifier)) || (t.alias === null && same(t.table, qualifier)));
    if (inScope) {
      const table = findTable(catalogue, inScope.schema, inScope.table);
      return table ? { from, options: columnOptions(table, dialect) } : null;
    }
    const schema = catalogue.schemas.find((s) => same(s.name, qualifier));
    if (schema) {
      const previous = /([A-Za-z]+)\s+[^\s]*$/.exec(before.slice(0, from))?.[1]?.toUpperCase();
      const routines = routineOptions(catalogue, schema.name);
      if (previous !== undefined && ROUTINE_CONTEXT.has(previous)) return { from, options: routines };
      return { from, options: [...schema.tables.map((t) => option(t.name, 'class', dialect, t.kind)), ...routines] };
    }
    const table = findTable(catalogue, null, qualifier);
    return table ? { from, options: columnOptions(table, dialect) } : null;
  }

  if (word === '' && !options.explicit) return null;
  const previousWord = /([A-Za-z]+)\s+$/.exec(before.slice(0, from))?.[1]?.toUpperCase();
  if (previousWord !== undefined && TABLE_CONTEXT.has(previousWord)) return { from, options: tableOptions(catalogue) };
  if (previousWord !== undefined && ROUTINE_CONTEXT.has(previousWord)) return { from, options: routineOptions(catalogue) };

  const columns = tablesInScope(statementAt(doc, pos)).flatMap((t) => {
    const table = findTable(catalogue, t.schema, t.table);
    return table ? columnOptions(table, dialect, 3) : [];
  });
  const keywords = [...KEYWORDS, ...DIALECT_KEYWORDS[dialect]].map((k) => ({ label: k, type: 'keyword' as const }));
  return { from, options: [...columns, ...keywords, ...tableOptions(catalogue).map((o) => ({ ...o, boost: -1 }))] };
}
