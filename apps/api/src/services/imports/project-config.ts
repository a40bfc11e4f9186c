// A project's import settings (seed 004's `config`): what a CSV file looks like and where it goes.
// Keys are snake_case as in the seed, so a config written for it is accepted as it is. Parsed with
// defaults on every read, so a stored config missing a newer key still reads complete.
import { z } from 'zod';

/** The tokens a date/time format may use, with the separators between them. */
const FORMAT = /^(YYYY|MM|DD|HH|mm|ss|[-/.: T])+$/;
const format = (what: string) => z.string().min(2).max(40).regex(FORMAT, `${what} may use YYYY, MM, DD, HH, mm, ss and the separators - / . : space T`);

/** A file name pattern: `*` is any run of characters, `?` one character. */
const filePattern = z.string().trim().min(1).max(200);

/** `schema.table` or `table` (the connection's default schema). */
const tableName = z.string().trim().min(1).max(257).regex(/^[^.]+(\.[^.]+)?$/, 'must be table or schema.table');

const columnName = z.string().min(1).max(128);

const primaryKey = z.union([columnName, z.array(columnName).min(1).max(16)]);

export const csvSettingsSchema = z.strictObject({
  delimiter: z.string().length(1).default(','),
  quote: z.string().length(1).default('"'),
  /** utf-16 must start with its byte order mark (little- or big-endian). */
  encoding: z.enum(['utf-8', 'utf-16', 'latin1']).default('utf-8'),
  /** false: the columns are the table's, in the table's order. */
  header: z.boolean().default(true),
  /**
   * Unquoted fields read as NULL. The default is PostgreSQL COPY … CSV's: an unquoted empty field
   * is NULL, a quoted empty field ("") is an empty string. A quoted field is never a NULL marker.
   */
  null_markers: z.array(z.string().max(32)).max(10).default(['']),
  date_format: format('date_format').default('YYYY-MM-DD'),
  time_format: format('time_format').default('HH:mm:ss'),
  /** A `T` between date and time is accepted where the format has a space; fractions and a zone may follow. */
  timestamp_format: format('timestamp_format').default('YYYY-MM-DD HH:mm:ss'),
});

export const tableMappingSchema = z.strictObject({
  file_pattern: filePattern,
  table: tableName,
  /** CSV header name → table column name. */
  columns: z.record(z.string().min(1).max(128), columnName).default({}),
  /** CSV header names that are read and dropped. */
  ignore: z.array(z.string().min(1).max(128)).max(500).default([]),
  /** Upsert key for this table; default: the table's primary key, else `defaults.primary_key`. */
  primary_key: primaryKey.optional(),
});

export const projectConfigSchema = z.strictObject({
  /** Seed 004 configs repeat the project's name here; kept as given, not used. */
  name: z.string().max(100).optional(),
  defaults: z
    .strictObject({
      file_pattern: filePattern.default('*.csv'),
      primary_key: primaryKey.default('id'),
    })
    .default({ file_pattern: '*.csv', primary_key: 'id' }),
  csv: csvSettingsSchema.default(csvSettingsSchema.parse({})),
  mappings: z.array(tableMappingSchema).max(100).default([]),
});

export type ProjectConfig = z.output<typeof projectConfigSchema>;
export type ProjectConfigInput = z.input<typeof projectConfigSchema>;
export type CsvSettings = z.output<typeof csvSettingsSchema>;
export type TableMapping = z.output<typeof tableMappingSchema>;

/** A stored config with every default filled in (a config saved before a key existed reads complete). */
export function readProjectConfig(stored: unknown): ProjectConfig {
  const parsed = projectConfigSchema.safeParse(stored ?? {});
  // Stored configs were validated on save; one that no longer parses (hand-edited) falls back to defaults.
  return parsed.success ? parsed.data : projectConfigSchema.parse({});
}

function patternRegex(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

export function fileMatches(pattern: string, fileName: string): boolean {
  return patternRegex(pattern).test(fileName);
}

/** The first mapping whose file_pattern matches the file name. */
export function mappingFor(config: ProjectConfig, fileName: string): TableMapping | undefined {
  return config.mappings.find((mapping) => fileMatches(mapping.file_pattern, fileName));
}

export function primaryKeyColumns(key: string | string[]): string[] {
  return Array.isArray(key) ? key : [key];
}
