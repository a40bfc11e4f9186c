// The other servers of a connection, in the connection and environment forms: SQL Server's
// failover partner and read intent, PostgreSQL's other hosts and which server it asks for. MySQL
// has none. Field names are the input paths (`options.failoverPartner.host`); the API names an
// entry of the host list (`options.alternateHosts.1.host`), shown on the list's field by line, and
// the partner's host or port on its one `host:port` field.
import { formatServerList, type ServerAddressInput } from '../lib/connection-form';
import type { DatabaseType } from '../lib/encryption';
import type { OptionFieldsProps } from './encryption-fields';
import { CheckboxField, Field, SelectField, TextAreaField } from './form';

export interface ServerOptionsInitial {
  failoverPartner?: ServerAddressInput | undefined;
  readIntent?: boolean | undefined;
  alternateHosts?: readonly ServerAddressInput[] | undefined;
  targetSessionAttrs?: string | undefined;
}

export const targetSessionChoices = [
  { value: 'any', label: 'Any server that answers' },
  { value: 'read-write', label: 'Read-write server only' },
] as const;

/** The host list's first error, with the line it is on (`options.alternateHosts.1.host` → line 2). */
function hostListError(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field] !== undefined) return errors[field];
  for (const [path, message] of Object.entries(errors)) {
    const entry = path.startsWith(`${field}.`) ? /^(\d+)/.exec(path.slice(field.length + 1)) : null;
    if (entry) return `Line ${Number(entry[1]) + 1}: ${message}`;
  }
  return undefined;
}

/** Nothing to render for a type without other servers: the caller leaves the fieldset out. */
export function hasServerFields(type: DatabaseType): boolean {
  return type === 'mssql' || type === 'postgres';
}

/**
 * `type`: the connection's type now; stored values apply while it is `storedType`. `values`: what
 * was submitted last (after a refusal), shown instead.
 */
export function ServerFields({
  prefix,
  type,
  storedType,
  initial,
  values,
  errors,
}: OptionFieldsProps<ServerOptionsInitial>) {
  const field = (name: string) => `${prefix}.${name}`;
  const stored = type === storedType ? initial : {};
  const value = (name: string, fallback: string) => (values ? (values[field(name)] ?? '') : fallback);
  if (type === 'mssql') {
    const partner = stored.failoverPartner;
    const partnerError = errors[field('failoverPartner.host')] ?? errors[field('failoverPartner.port')] ?? errors[field('failoverPartner')];
    return (
      <div className="stack" data-testid="server-fields">
        <p className="muted small">
          A database mirror or standby that takes over when the host above refuses logins or goes down. New connections move to it, work running on the failed server fails
          (it is never retried), and the connection stays on the partner until you reset its pool or the partner fails in turn.
        </p>
        <div className="form-grid">
          <Field
            name={field('failoverPartner')}
            label="Failover partner"
            autoComplete="off"
            placeholder="mirror.example.com:1433"
            defaultValue={value('failoverPartner', partner ? formatServerList([partner]) : '')}
            error={partnerError}
            hint="Host or host:port (port blank: 1433). Leave blank for none."
          />
        </div>
        <CheckboxField
          name={field('readIntent')}
          label="Send read-only work to a readable secondary"
          defaultChecked={values ? values[field('readIntent')] === 'on' : Boolean(stored.readIntent)}
          error={errors[field('readIntent')]}
          hint="Schema browsing and read-only console runs log in with ApplicationIntent=ReadOnly, which an availability group listener routes to a readable secondary. Everything else goes to the primary."
        />
      </div>
    );
  }
  if (type === 'postgres') {
    const attrs = value('targetSessionAttrs', stored.targetSessionAttrs ?? 'any');
    return (
      <div className="stack" data-testid="server-fields">
        <div className="form-grid">
          <TextAreaField
            name={field('alternateHosts')}
            label="Standby servers"
            rows={3}
            spellCheck={false}
            autoComplete="off"
            placeholder={'standby-1.example.com\nstandby-2.example.com:5433'}
            defaultValue={value('alternateHosts', formatServerList(stored.alternateHosts))}
            error={hostListError(errors, field('alternateHosts'))}
            hint="Standbys or replicas, tried in order after the host above when it cannot be reached or is not the kind of server asked for below. One per line: host or host:port (port blank: 5432). Up to 8."
          />
          <SelectField
            name={field('targetSessionAttrs')}
            label="Server to use"
            defaultValue={attrs === 'read-write' ? 'read-write' : 'any'}
            error={errors[field('targetSessionAttrs')]}
            hint="Any: the first host that accepts the login. Read-write only: skips servers in read-only mode (standbys), so writes always reach the primary."
          >
            {targetSessionChoices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </SelectField>
        </div>
      </div>
    );
  }
  return null;
}
