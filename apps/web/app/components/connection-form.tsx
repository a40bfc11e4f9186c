// The connection form for every type: a type picker whose choice fills in that type's port and
// database (only where the user has not typed something else) and offers that type's encryption
// modes, the target, a write-only password, encryption, the type's other servers (failover partner,
// host list) and pool settings. "Test" runs the connection test on what is typed;
// saving does not test (the connection page has Test connection).
import { Form } from '@remix-run/react';
import { useState, type ChangeEvent, type ReactNode } from 'react';
import { connectionTypes, defaultsOf, type ConnectionType } from '../lib/connection-form';
import type { ActionResult } from '../lib/forms';
import { EncryptionFields } from './encryption-fields';
import { CheckboxField, Field, SelectField, SubmitButton } from './form';
import { hasServerFields, ServerFields, type ServerOptionsInitial } from './server-fields';

export interface ConnectionFormValues {
  name?: string;
  description?: string | null;
  type?: ConnectionType;
  host?: string;
  port?: number;
  database?: string;
  user?: string | null;
  hasPassword?: boolean;
  options?: { trustServerCertificate?: boolean; ca?: string; poolSize?: number; connectTimeoutMs?: number; requestTimeoutMs?: number; idleTimeoutMs?: number } & ServerOptionsInitial;
  /** What the stored settings ask for (the API's answer), so the picker starts on the mode in force. */
  encryption?: { mode: string };
}

/** Moves the port and database to the new type's defaults where they still hold the old type's. */
function applyTypeDefaults(event: ChangeEvent<HTMLSelectElement>, previous: ConnectionType) {
  const form = event.currentTarget.form;
  const next = defaultsOf(event.currentTarget.value as ConnectionType);
  const before = defaultsOf(previous);
  if (!form) return;
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement | null;
  const port = input('port');
  if (port && (port.value === '' || port.value === String(before.port))) port.value = String(next.port);
  const database = input('database');
  if (database && (database.value === '' || database.value === before.database)) database.value = next.database;
}

/**
 * `typed`: what the user submitted last (after a test), shown again instead of `initial`.
 * `testPanel`: the watched test, shown next to the button that started it.
 */
export function ConnectionForm({
  initial,
  result,
  mode,
  typed,
  testPanel,
}: {
  initial: ConnectionFormValues;
  result: ActionResult | undefined;
  mode: 'create' | 'update';
  typed?: Record<string, string> | undefined;
  testPanel?: ReactNode;
}) {
  const failed = result && !result.ok ? result : undefined;
  const values = failed?.values ?? typed;
  const errors = failed?.fieldErrors ?? {};
  const value = (name: string, stored: string | number | null | undefined) => (values ? (values[name] ?? '') : stored == null ? '' : String(stored));
  const startType = ((values?.type as ConnectionType | undefined) ?? initial.type ?? 'mssql') satisfies ConnectionType;
  const [type, setType] = useState<ConnectionType>(startType);
  const defaults = defaultsOf(type);
  const o = initial.options ?? {};
  return (
    <Form method="post" className="stack" aria-label={mode === 'create' ? 'New connection' : 'Connection settings'} noValidate>
      <fieldset>
        <legend>Connection</legend>
        <div className="form-grid">
          <SelectField
            name="type"
            label="Type"
            defaultValue={startType}
            error={errors.type}
            hint={defaults.hint}
            onChange={(event) => {
              applyTypeDefaults(event, type);
              setType(event.currentTarget.value as ConnectionType);
            }}
          >
            {connectionTypes.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </SelectField>
          <Field name="name" label="Name" required maxLength={100} defaultValue={value('name', initial.name)} error={errors.name} />
          <Field name="description" label="Description" defaultValue={value('description', initial.description)} error={errors.description} />
        </div>
      </fieldset>
      <fieldset>
        <legend>Server</legend>
        <div className="form-grid">
          <Field name="host" label="Host" required defaultValue={value('host', initial.host)} error={errors.host} hint="Hostname or IP address" autoComplete="off" />
          <Field name="port" label="Port" inputMode="numeric" defaultValue={value('port', initial.port ?? defaults.port)} error={errors.port} />
          <Field name="database" label="Database" required defaultValue={value('database', initial.database ?? defaults.database)} error={errors.database} autoComplete="off" />
          <Field name="user" label="User" required defaultValue={value('user', initial.user)} error={errors.user} autoComplete="off" />
          <Field
            name="password"
            label="Password"
            type="password"
            autoComplete="new-password"
            error={errors.password}
            hint={
              mode === 'create'
                ? 'Stored encrypted; never shown again.'
                : initial.hasPassword
                  ? 'A password is set. Leave blank to keep it; changing the host, port, database or user, adding a server it would be sent to, or weakening encryption needs it again.'
                  : 'No password is set. Leave blank to keep none.'
            }
          />
          {mode === 'update' && initial.hasPassword ? <CheckboxField name="clearPassword" label="Remove the stored password" /> : null}
        </div>
      </fieldset>
      <fieldset>
        <legend>TLS</legend>
        <EncryptionFields
          prefix="options"
          type={type}
          storedType={initial.type ?? 'mssql'}
          initial={{ mode: initial.encryption?.mode, trustServerCertificate: o.trustServerCertificate, ca: o.ca }}
          values={values}
          errors={errors}
        />
      </fieldset>
      {hasServerFields(type) ? (
        <fieldset>
          <legend>{type === 'mssql' ? 'Failover and read intent' : 'Other servers'}</legend>
          <ServerFields prefix="options" type={type} storedType={initial.type ?? 'mssql'} initial={o} values={values} errors={errors} />
        </fieldset>
      ) : null}
      <fieldset>
        <legend>Pool and timeouts</legend>
        <div className="form-grid">
          <Field name="options.poolSize" label="Pool size" inputMode="numeric" placeholder="10" defaultValue={value('options.poolSize', o.poolSize)} error={errors['options.poolSize']} hint="Connections kept per pool (1–100)." />
          <Field name="options.connectTimeoutMs" label="Connect timeout (ms)" inputMode="numeric" placeholder="15000" defaultValue={value('options.connectTimeoutMs', o.connectTimeoutMs)} error={errors['options.connectTimeoutMs']} />
          <Field name="options.requestTimeoutMs" label="Request timeout (ms)" inputMode="numeric" placeholder="15000" defaultValue={value('options.requestTimeoutMs', o.requestTimeoutMs)} error={errors['options.requestTimeoutMs']} />
          <Field name="options.idleTimeoutMs" label="Idle timeout (ms)" inputMode="numeric" placeholder="1800000" defaultValue={value('options.idleTimeoutMs', o.idleTimeoutMs)} error={errors['options.idleTimeoutMs']} />
        </div>
      </fieldset>
      {testPanel}
      <div className="form-actions">
        <SubmitButton intent="save" pendingLabel="Saving…">
          {mode === 'create' ? 'Create connection' : 'Save changes'}
        </SubmitButton>
        {mode === 'create' ? (
          <SubmitButton intent="test" variant="secondary" pendingLabel="Testing…">
            Test
          </SubmitButton>
        ) : null}
      </div>
    </Form>
  );
}
