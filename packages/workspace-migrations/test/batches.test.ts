import { describe, expect, it } from 'vitest';
import { MigrationFileError, parseMigration, splitBatches, splitSqlBatches } from '../src/index';

const lines = (...texts: string[]) => texts.join('\n');
const shape = (script: string, firstLine?: number) => splitSqlBatches(script, firstLine).map((b) => [b.sql, b.startLine]);

describe('splitSqlBatches', () => {
  it('splits at GO lines only, with the line each batch starts on', () => {
    const script = lines("SELECT 'a", 'GO', "b'", 'go  ', '/* x', 'GO', '*/ SELECT [x', 'GO', ']', '  GO 2 -- twice', 'SELECT 2', 'GOTO x');
    expect(shape(script)).toEqual([
      [lines("SELECT 'a", 'GO', "b'"), 1],
      [lines('/* x', 'GO', '*/ SELECT [x', 'GO', ']'), 5],
      [lines('SELECT 2', 'GOTO x'), 11],
    ]);
  });

  it('ignores GO after a line comment ends the code on its line', () => {
    expect(splitSqlBatches("SELECT 1 -- it's fine\nGO\nSELECT 2").map((b) => b.startLine)).toEqual([1, 3]);
  });

  it('counts lines from firstLine and drops batches of only blanks and comments', () => {
    expect(shape(lines('SELECT 1;', '  go  ', '', 'SELECT 2;', 'Go', '-- only a comment', '/* and a block', 'one */', 'GO', 'SELECT 3;'), 10)).toEqual([
      ['SELECT 1;', 10],
      [lines('', 'SELECT 2;'), 12],
      ['SELECT 3;', 19],
    ]);
  });

  it('keeps GO inside nested block comments, escaped quotes and quoted names', () => {
    const script = lines(
      "SELECT 'it''s', N'GO", 'GO', "' AS [a]]", 'GO', ']', '/* outer /* inner */', 'GO', '*/ SELECT "x""', 'GO', '" AS y', 'GO', 'SELECT 2',
    );
    expect(shape(script)).toEqual([
      [lines("SELECT 'it''s', N'GO", 'GO', "' AS [a]]", 'GO', ']', '/* outer /* inner */', 'GO', '*/ SELECT "x""', 'GO', '" AS y'), 1],
      ['SELECT 2', 12],
    ]);
  });

  it('gives the count of GO n and the line of the GO that ended each batch', () => {
    const batches = splitSqlBatches(lines('INSERT INTO t DEFAULT VALUES', 'GO 3', 'SELECT 1', 'GO', 'SELECT 2'));
    expect(batches.map((b) => [b.count, b.goLine])).toEqual([
      [3, 2],
      [undefined, 4],
      [undefined, undefined],
    ]);
  });

  it('splits CRLF scripts and keeps offsets within a batch as in the script', () => {
    const script = 'SELECT 1\r\nGO\r\nSELECT [a]\r\n  FROM t\r\n';
    const batches = splitSqlBatches(script);
    expect(batches.map((b) => [b.sql, b.startLine])).toEqual([
      ['SELECT 1', 1],
      ['SELECT [a]\r\n  FROM t', 3],
    ]);
    const second = batches[1];
    expect(script.indexOf('FROM')).toBe(script.indexOf('SELECT [a]') + (second?.sql.indexOf('FROM') ?? -1));
  });
});

describe('migration batches', () => {
  it('refuse GO n with the line of the GO', () => {
    const error = (() => {
      try {
        splitBatches(lines('SELECT 1;', '', 'GO 5'), 4, 'V0002__x.sql');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MigrationFileError);
    expect((error as MigrationFileError).line).toBe(6);
  });

  it('do not split at a GO inside a string of a migration', () => {
    const migration = parseMigration('V0003__text.sql', lines('-- +up', "INSERT INTO notes (body) VALUES (N'first", 'GO', "second');", 'GO', 'SELECT 1;'));
    expect(migration.up.batches.map((b) => b.startLine)).toEqual([2, 6]);
  });
});
