import { UNREVIEWED_DOWN_MARKER } from './migrator';

/**
 * Drafts the down file for a generated up migration: statements reversed,
 * each mapped to its inverse where that is mechanical (create → drop, add →
 * drop). Anything else is listed for a human to write. The marker line
 * keeps `revert` from running the draft until someone has reviewed it.
 */
export function draftDownMigration(upSql: string, fileName: string): string {
  const statements = upSql
    .split('--> statement-breakpoint')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0 && !/^(--[^\n]*\n?)+$/.test(statement));
  const lines: string[] = [];
  const manual: string[] = [];
  for (const statement of statements.reverse()) {
    const inverse = invert(statement);
    if (inverse) lines.push(inverse);
    else manual.push(statement.split('\n')[0] ?? statement);
  }
  return [
    UNREVIEWED_DOWN_MARKER,
    `-- Reverses ${fileName}. Check every statement, write what is listed as manual, then delete the marker line above.`,
    ...manual.map((statement) => `-- manual: reverse "${statement}"`),
    ...lines,
    '',
  ].join('\n');
}

const IDENT = '("(?:[^"]|"")+"(?:\\."(?:[^"]|"")+")?)';

function invert(statement: string): string | undefined {
  const patterns: [RegExp, (match: RegExpExecArray) => string][] = [
    [new RegExp(`^CREATE TABLE (?:IF NOT EXISTS )?${IDENT}`, 'i'), (m) => `DROP TABLE IF EXISTS ${m[1]};`],
    [new RegExp(`^CREATE TYPE ${IDENT}`, 'i'), (m) => `DROP TYPE IF EXISTS ${m[1]};`],
    [new RegExp(`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?${IDENT}`, 'i'), (m) => `DROP INDEX IF EXISTS ${m[1]};`],
    [new RegExp(`^CREATE SCHEMA ${IDENT}`, 'i'), (m) => `DROP SCHEMA IF EXISTS ${m[1]};`],
    [new RegExp(`^CREATE SEQUENCE ${IDENT}`, 'i'), (m) => `DROP SEQUENCE IF EXISTS ${m[1]};`],
    [new RegExp(`^CREATE (?:OR REPLACE )?VIEW ${IDENT}`, 'i'), (m) => `DROP VIEW IF EXISTS ${m[1]};`],
    [
      new RegExp(`^ALTER TABLE ${IDENT} ADD CONSTRAINT ${IDENT}`, 'i'),
      (m) => `ALTER TABLE ${m[1]} DROP CONSTRAINT IF EXISTS ${m[2]};`,
    ],
    [
      new RegExp(`^ALTER TABLE ${IDENT} ADD COLUMN ${IDENT}`, 'i'),
      (m) => `ALTER TABLE ${m[1]} DROP COLUMN IF EXISTS ${m[2]};`,
    ],
  ];
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(statement);
    if (match) return build(match);
  }
  return undefined;
}
