// The fields of an import project: name, connection, and how its CSV files read (seed 004 config).
import { CheckboxField, Field, SelectField } from './form';
import type { ProjectConfigView } from '../lib/project-form';

interface ProjectFormProps {
  connections: { id: string; name: string; type: string }[];
  project?: { name: string; description: string | null; connectionId: string | null; config: ProjectConfigView } | undefined;
  errors: Record<string, string>;
  values?: Record<string, string> | undefined;
}

export function ProjectFields({ connections, project, errors, values }: ProjectFormProps) {
  const config = project?.config;
  const v = (name: string, fallback: string) => values?.[name] ?? fallback;
  const markers = config?.csv.null_markers ?? [''];
  return (
    <>
      <Field name="name" label="Name" required defaultValue={v('name', project?.name ?? '')} error={errors.name} />
      <SelectField name="connectionId" label="Connection" defaultValue={v('connectionId', project?.connectionId ?? '')} error={errors.connectionId} hint="Imports go to this connection; without one they are refused.">
        <option value="">(none)</option>
        {connections.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.type})
          </option>
        ))}
      </SelectField>
      <Field name="description" label="Description" defaultValue={v('description', project?.description ?? '')} error={errors.description} />
      <Field name="config.csv.delimiter" label="Delimiter" maxLength={2} defaultValue={v('config.csv.delimiter', config?.csv.delimiter === '\t' ? '\\t' : (config?.csv.delimiter ?? ','))} error={errors['config.csv.delimiter']} hint="One character; \t for tab" />
      <Field name="config.csv.quote" label="Quote" maxLength={1} defaultValue={v('config.csv.quote', config?.csv.quote ?? '"')} error={errors['config.csv.quote']} />
      <SelectField name="config.csv.encoding" label="Encoding" defaultValue={v('config.csv.encoding', config?.csv.encoding ?? 'utf-8')} error={errors['config.csv.encoding']}>
        <option value="utf-8">UTF-8 (with or without BOM)</option>
        <option value="utf-16">UTF-16 (with BOM)</option>
        <option value="latin1">Latin-1</option>
      </SelectField>
      <CheckboxField name="config.csv.header" label="The first row is a header" defaultChecked={config?.csv.header ?? true} />
      <CheckboxField name="config.csv.empty_is_null" label="An unquoted empty field is NULL (a quoted one is an empty string)" defaultChecked={markers.includes('')} />
      <Field name="config.csv.null_markers" label="Other NULL markers" defaultValue={v('config.csv.null_markers', markers.filter((m) => m !== '').join(', '))} error={errors['config.csv.null_markers']} hint="Comma-separated, e.g. NULL, \N (unquoted fields only)" />
      <Field name="config.csv.date_format" label="Date format" defaultValue={v('config.csv.date_format', config?.csv.date_format ?? 'YYYY-MM-DD')} error={errors['config.csv.date_format']} />
      <Field name="config.csv.time_format" label="Time format" defaultValue={v('config.csv.time_format', config?.csv.time_format ?? 'HH:mm:ss')} error={errors['config.csv.time_format']} />
      <Field name="config.csv.timestamp_format" label="Timestamp format" defaultValue={v('config.csv.timestamp_format', config?.csv.timestamp_format ?? 'YYYY-MM-DD HH:mm:ss')} error={errors['config.csv.timestamp_format']} />
      <Field name="config.defaults.file_pattern" label="Default file pattern" defaultValue={v('config.defaults.file_pattern', config?.defaults.file_pattern ?? '*.csv')} error={errors['config.defaults.file_pattern']} />
      <Field
        name="config.defaults.primary_key"
        label="Default key for upserts"
        defaultValue={v('config.defaults.primary_key', [config?.defaults.primary_key ?? 'id'].flat().join(', '))}
        error={errors['config.defaults.primary_key']}
        hint="Used when the table has no primary key and the mapping names none"
      />
      <div className={`field field-wide${errors['config.mappings'] ? ' field-invalid' : ''}`}>
        <label htmlFor="config.mappings">Table mappings (JSON)</label>
        <textarea
          id="config.mappings"
          name="config.mappings"
          rows={5}
          defaultValue={v('config.mappings', JSON.stringify(config?.mappings ?? [], null, 2))}
          aria-describedby="config.mappings-hint"
        />
        <p id="config.mappings-hint" className="hint">
          {'[{ "file_pattern": "orders_*.csv", "table": "sales.orders", "columns": { "Order ID": "id" }, "ignore": ["notes"] }]'}
        </p>
        {errors['config.mappings'] ? <p className="field-error">{errors['config.mappings']}</p> : null}
      </div>
    </>
  );
}
