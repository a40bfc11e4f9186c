import type { SqlRunner } from '../session';

/** `"name"` with embedded quotes doubled: table names come from the catalogue, never from input. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The ordinary tables of `public`, parents before children (foreign keys), so rows load in an
 * order every constraint accepts. A table referencing itself does not hold up its own turn.
 */
export async function tablesInLoadOrder(session: SqlRunner): Promise<string[]> {
  const tables = (
    await session.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`,
    )
  ).map((row) => row.name);
  const edges = await session.query<{ child: string; parent: string }>(
    `SELECT child.relname AS child, parent.relname AS parent
       FROM pg_constraint con
       JOIN pg_class child ON child.oid = con.conrelid
       JOIN pg_class parent ON parent.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`,
  );
  const parents = new Map(tables.map((table) => [table, new Set<string>()]));
  for (const { child, parent } of edges) {
    if (child !== parent) parents.get(child)?.add(parent);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((table) => !placed.has(table) && [...(parents.get(table) ?? [])].every((p) => placed.has(p)));
    // A foreign-key cycle between tables: keep the rest in name order rather than loop forever;
    // loading then fails on the constraint and the restore's transaction rolls back.
    const next = ready.length > 0 ? ready : tables.filter((table) => !placed.has(table));
    for (const table of next) {
      placed.add(table);
      ordered.push(table);
    }
  }
  return ordered;
}

/** Columns a restore writes: not dropped, not generated (those are computed again). */
export async function writableColumns(session: SqlRunner, table: string): Promise<string[]> {
  const rows = await session.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [`public.${quoteIdent(table)}`],
  );
  return rows.map((row) => row.name);
}

/** Tables of `public` holding at least one row, the migration history excepted. */
export async function tablesWithRows(session: SqlRunner, historyTable: string): Promise<string[]> {
  const tables = await tablesInLoadOrder(session);
  const found: string[] = [];
  for (const table of tables) {
    if (table === historyTable) continue;
    const [row] = await session.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 FROM public.${quoteIdent(table)}) AS present`);
    if (row?.present) found.push(table);
  }
  return found;
}
