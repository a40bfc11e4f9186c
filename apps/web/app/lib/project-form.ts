// The import project form (seed 004 config) ↔ the procedure's input. Fields are named by the
// config path (`config.csv.delimiter`), so a refusal's `details.fields` lands on the right field.
import { text } from './forms';

export interface ProjectConfigView {
  defaults: { file_pattern: string; primary_key: string | string[] };
  csv: { delimiter: string; quote: string; encoding: 'utf-8' | 'utf-16' | 'latin1'; header: boolean; null_markers: string[]; date_format: string; time_format: string; timestamp_format: string };
  mappings: { file_pattern: string; table: string; columns: Record<string, string>; ignore: string[]; primary_key?: string | string[] | undefined }[];
}

/** Tab is typed as `\t` in the form. */
const unescape = (value: string | undefined) => (value === '\\t' ? '\t' : value);

/** The config the form describes; a mapping list that is not JSON is passed on as text, so the server names the field. */
export function configFromForm(form: FormData): Record<string, unknown> {
  const markers = (text(form, 'config.csv.null_markers') ?? '')
    .split(',')
    .map((marker) => marker.trim())
    .filter((marker) => marker !== '');
  if (form.get('config.csv.empty_is_null') === 'on') markers.unshift('');
  const primaryKey = (text(form, 'config.defaults.primary_key') ?? 'id').split(',').map((key) => key.trim()).filter(Boolean);
  let mappings: unknown = [];
  const mappingText = text(form, 'config.mappings');
  if (mappingText !== undefined) {
    try {
      mappings = JSON.parse(mappingText) as unknown;
    } catch {
      mappings = mappingText;
    }
  }
  return {
    defaults: { file_pattern: text(form, 'config.defaults.file_pattern') ?? '*.csv', primary_key: primaryKey.length === 1 ? primaryKey[0] : primaryKey },
    csv: {
      delimiter: unescape(form.get('config.csv.delimiter') as string | null ?? undefined) ?? ',',
      quote: text(form, 'config.csv.quote') ?? '"',
      encoding: text(form, 'config.csv.encoding') ?? 'utf-8',
      header: form.get('config.csv.header') === 'on',
      null_markers: markers,
      date_format: text(form, 'config.csv.date_format') ?? 'YYYY-MM-DD',
      time_format: text(form, 'config.csv.time_format') ?? 'HH:mm:ss',
      timestamp_format: text(form, 'config.csv.timestamp_format') ?? 'YYYY-MM-DD HH:mm:ss',
    },
    mappings,
  };
}

export const emptyConfig: ProjectConfigView = {
  defaults: { file_pattern: '*.csv', primary_key: 'id' },
  csv: { delimiter: ',', quote: '"', encoding: 'utf-8', header: true, null_markers: [''], date_format: 'YYYY-MM-DD', time_format: 'HH:mm:ss', timestamp_format: 'YYYY-MM-DD HH:mm:ss' },
  mappings: [],
};

/** A mapping's own paths (`config.mappings.0.table`) show under the mappings field. */
export function projectFieldErrors(errors: Record<string, string>): Record<string, string> {
  const mapped = { ...errors };
  const mappingError = Object.entries(errors).find(([path]) => path.startsWith('config.mappings'));
  if (mappingError) mapped['config.mappings'] = `${mappingError[0]}: ${mappingError[1]}`;
  return mapped;
}
