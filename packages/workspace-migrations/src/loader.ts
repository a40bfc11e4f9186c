import { hash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitSqlBatches } from './batches';
import { MigrationFileError } from './errors';

/** The migrations this package ships (migration 1 is the workspace base schema). */
export const defaultMigrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

/** `V0001__base_schema.sql`: a `V`, the version (digits), two underscores, a name. */
const FILE_NAME = /^V(\d+)__([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;
/** `-- +up` / `-- +down`, optionally followed by `no-transaction`. */
const SECTION_MARKER = /^\s*--\s*\+(up|down)\b(.*)$/i;

/** One `GO`-separated batch, with the file line it starts on (to map server line numbers back). */
export interface Batch {
  readonly sql: string;
  /** 1-based line in the file of the batch's first line. */
  readonly startLine: number;
}

export interface MigrationSection {
  readonly batches: readonly Batch[];
  /** False when the marker says `no-transaction` (statements SQL Server refuses inside a transaction). */
  readonly transactional: boolean;
  /** The section text, normalised (what the checksum covers for `up`). */
  readonly text: string;
}

export interface Migration {
  readonly version: number;
  /** From the file name: `base_schema`. */
  readonly name: string;
  readonly fileName: string;
  /** sha256 (hex) of the normalised `-- +up` text. */
  readonly checksum: string;
  readonly up: MigrationSection;
  /** Undefined when the file has no `-- +down` part (such a migration cannot be rolled back). */
  readonly down: MigrationSection | undefined;
}

/** CRLF → LF, trailing whitespace per line dropped, leading/trailing blank lines dropped. */
export function normaliseSql(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '');
}

export function checksumOf(upText: string): string {
  return hash('sha256', normaliseSql(upText));
}

const isBlankOrComment = (line: string) => {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('--');
};

/**
 * The batches of a migration section: `splitSqlBatches` with file line numbers. `GO n` (repeat) is
 * refused rather than run once where the author asked for n runs.
 */
export function splitBatches(text: string, firstLine = 1, fileName = '<sql>'): Batch[] {
  return splitSqlBatches(text.replace(/\r\n?/g, '\n'), firstLine).map((batch) => {
    if (batch.count !== undefined) {
      throw new MigrationFileError(fileName, '`GO <count>` is not supported; repeat the batch instead', { line: batch.goLine });
    }
    return { sql: batch.sql, startLine: batch.startLine };
  });
}

/** Parses one migration file's text. Exported for tests and tools that hold SQL in memory. */
export function parseMigration(fileName: string, text: string): Migration {
  const match = FILE_NAME.exec(fileName);
  if (!match?.[1] || !match[2]) {
    throw new MigrationFileError(fileName, 'migration files are named V<version>__<name>.sql, e.g. V0002__add_imports.sql');
  }
  const version = Number.parseInt(match[1], 10);
  if (version < 1 || !Number.isSafeInteger(version)) {
    throw new MigrationFileError(fileName, 'versions start at 1');
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const sections: { kind: 'up' | 'down'; options: string; markerLine: number; body: string[] }[] = [];
  lines.forEach((line, index) => {
    const marker = SECTION_MARKER.exec(line);
    if (marker?.[1]) {
      const kind = marker[1].toLowerCase() as 'up' | 'down';
      const options = (marker[2] ?? '').trim().toLowerCase();
      if (options !== '' && options !== 'no-transaction') {
        throw new MigrationFileError(fileName, `unknown option \`${options}\` after -- +${kind} (only no-transaction)`, {
          line: index + 1,
        });
      }
      if (sections.some((section) => section.kind === kind)) {
        throw new MigrationFileError(fileName, `more than one -- +${kind} section`, { line: index + 1 });
      }
      sections.push({ kind, options, markerLine: index + 1, body: [] });
      return;
    }
    const open = sections.at(-1);
    if (open) {
      open.body.push(line);
    } else if (!isBlankOrComment(line)) {
      throw new MigrationFileError(fileName, 'SQL before the -- +up marker (only comments may precede it)', {
        line: index + 1,
      });
    }
  });
  const toSection = (kind: 'up' | 'down'): MigrationSection | undefined => {
    const section = sections.find((candidate) => candidate.kind === kind);
    if (!section) return undefined;
    const body = section.body.join('\n');
    const batches = splitBatches(body, section.markerLine + 1, fileName);
    return { batches, transactional: section.options !== 'no-transaction', text: normaliseSql(body) };
  };
  const up = toSection('up');
  if (!up) throw new MigrationFileError(fileName, 'no -- +up section');
  if (up.batches.length === 0) throw new MigrationFileError(fileName, 'the -- +up section has no SQL');
  const down = toSection('down');
  return { version, name: match[2], fileName, checksum: checksumOf(up.text), up, down };
}

/**
 * Reads `V<version>__<name>.sql` files, sorted by version. Versions must be unique and run
 * 1, 2, 3, … without gaps, so "version N" means the same schema in every workspace database.
 */
export async function loadMigrations(migrationsDir: string = defaultMigrationsDir): Promise<Migration[]> {
  let entries: string[];
  try {
    entries = await readdir(migrationsDir);
  } catch (error) {
    throw new MigrationFileError(migrationsDir, 'cannot read the migrations folder', { cause: error });
  }
  const files = entries.filter((entry) => entry.toLowerCase().endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const fileName of files) {
    const text = await readFile(path.join(migrationsDir, fileName), 'utf8');
    migrations.push(parseMigration(fileName, text));
  }
  return checkSequence(migrations, migrationsDir);
}

/** Sorts by version and rejects duplicates and gaps. */
export function checkSequence(migrations: readonly Migration[], where = '<migrations>'): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  if (sorted.length === 0) throw new MigrationFileError(where, 'no V<version>__<name>.sql files');
  sorted.forEach((migration, index) => {
    const previous = sorted[index - 1];
    if (previous && previous.version === migration.version) {
      throw new MigrationFileError(
        where,
        `version ${migration.version} is used by both ${previous.fileName} and ${migration.fileName}`,
      );
    }
    const expected = index + 1;
    if (migration.version !== expected) {
      throw new MigrationFileError(
        where,
        `versions must run 1, 2, 3… without gaps: expected version ${expected}, found ${migration.fileName}`,
      );
    }
  });
  return sorted;
}
