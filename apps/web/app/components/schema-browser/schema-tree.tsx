// The schema browser's tree: schemas → tables and views (row estimate) → columns (type, nullable,
// default, key) and indexes; procedures and functions with parameters. Every name inserts itself
// (quoted as the dialect needs) into the editor; a table also offers its first 100 rows as a
// query (SELECT TOP 100 on SQL Server, LIMIT 100 elsewhere).
import { useState } from 'react';
import { quoteName, type SqlDialect } from '../../lib/sql-completion';
import { plural } from '../../lib/words';

export interface SchemaTreeCatalogue {
  type: SqlDialect;
  schemas: {
    name: string;
    tables: {
      name: string;
      kind: 'table' | 'view';
      rowEstimate: number | null;
      columns: { name: string; dataType: string; nullable: boolean; default: string | null; primaryKey: boolean }[];
      indexes: { name: string; columns: string[]; unique: boolean; primary: boolean }[];
    }[];
    routines: { name: string; kind: 'procedure' | 'function'; parameters: { name: string | null; dataType: string; mode: 'in' | 'out' | 'inout' }[] }[];
  }[];
}

/** `SELECT TOP 100 * FROM [dbo].[orders]` / `SELECT * FROM public.orders LIMIT 100`. */
export function firstRowsQuery(dialect: SqlDialect, schema: string, table: string): string {
  const name = `${quoteName(schema, dialect)}.${quoteName(table, dialect)}`;
  return dialect === 'mssql' ? `SELECT TOP 100 * FROM ${name};` : `SELECT * FROM ${name} LIMIT 100;`;
}

const rowsFormat = new Intl.NumberFormat('en');

function NameButton({ name, insert, label }: { name: string; insert: () => void; label?: string }) {
  return (
    <button type="button" className="schema-name-button" onClick={insert} title={`Insert ${name} into the editor`} aria-label={label ?? `Insert ${name}`}>
      {name}
    </button>
  );
}

export function SchemaTree({ catalogue, onInsert }: { catalogue: SchemaTreeCatalogue; onInsert(text: string): void }) {
  const [filter, setFilter] = useState('');
  const dialect = catalogue.type;
  const q = filter.trim().toLowerCase();
  const only = catalogue.schemas.length === 1;
  return (
    <div className="schema-tree" data-testid="schema-tree">
      <div className="field">
        <label htmlFor="schema-filter">Filter tables</label>
        <input id="schema-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="orders" autoComplete="off" />
      </div>
      {catalogue.schemas.length === 0 ? <p className="muted">This database has no tables, views or procedures the login can see.</p> : null}
      <ul aria-label="Schemas">
        {catalogue.schemas.map((s) => {
          const tables = s.tables.filter((t) => q === '' || t.name.toLowerCase().includes(q));
          const routines = s.routines.filter((r) => q === '' || r.name.toLowerCase().includes(q));
          if (q !== '' && tables.length === 0 && routines.length === 0) return null;
          return (
            <li key={s.name} data-schema={s.name}>
              <details open={only || q !== '' || s.name === 'dbo' || s.name === 'public'}>
                <summary>
                  <strong>{s.name}</strong> <span className="muted small">({plural(s.tables.length, 'table or view', 'tables and views')})</span>
                </summary>
                <ul>
                  {tables.map((t) => (
                    <li key={t.name} data-table={t.name}>
                      <details>
                        <summary>
                          {t.name} <span className="muted small">{t.kind === 'view' ? 'view' : t.rowEstimate === null ? 'table' : `≈ ${rowsFormat.format(t.rowEstimate)} rows`}</span>
                        </summary>
                        <div className="schema-actions">
                          <button type="button" className="btn btn-secondary" onClick={() => onInsert(`${quoteName(s.name, dialect)}.${quoteName(t.name, dialect)}`)}>
                            Insert name
                          </button>
                          <button type="button" className="btn btn-secondary" onClick={() => onInsert(firstRowsQuery(dialect, s.name, t.name))}>
                            {dialect === 'mssql' ? 'SELECT TOP 100' : 'SELECT … LIMIT 100'}
                          </button>
                        </div>
                        <p className="schema-section-title">Columns</p>
                        <ul aria-label={`Columns of ${t.name}`}>
                          {t.columns.map((c) => (
                            <li key={c.name} className="schema-column" data-column={c.name}>
                              <NameButton name={c.name} insert={() => onInsert(quoteName(c.name, dialect))} />
                              <span className="schema-type">
                                {c.dataType}
                                {c.nullable ? '' : ' not null'}
                                {c.default !== null ? ` = ${c.default}` : ''}
                              </span>
                              {c.primaryKey ? <span className="schema-key" title="Primary key">PK</span> : null}
                            </li>
                          ))}
                        </ul>
                        {t.indexes.length > 0 ? (
                          <>
                            <p className="schema-section-title">Indexes</p>
                            <ul aria-label={`Indexes of ${t.name}`}>
                              {t.indexes.map((i) => (
                                <li key={i.name} className="schema-column">
                                  <span>{i.name}</span>
                                  <span className="schema-type">
                                    ({i.columns.join(', ')}){i.primary ? ' primary key' : i.unique ? ' unique' : ''}
                                  </span>
                                </li>
                              ))}
                            </ul>
                          </>
                        ) : null}
                      </details>
                    </li>
                  ))}
                  {routines.length > 0 ? <li className="schema-section-title">Procedures and functions</li> : null}
                  {routines.map((r) => (
                    <li key={`${r.kind}:${r.name}`} data-routine={r.name} className="schema-column">
                      <NameButton name={r.name} insert={() => onInsert(`${quoteName(s.name, dialect)}.${quoteName(r.name, dialect)}`)} />
                      <span className="schema-type">
                        {r.kind} ({r.parameters.map((p) => `${p.name ?? '?'} ${p.dataType}${p.mode === 'in' ? '' : ` ${p.mode.toUpperCase()}`}`).join(', ')})
                      </span>
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
