// The environment form: name, the SQL Server connection (host/port/database/user, write-only
// password), its encryption mode, failover partner and read intent, pool size and timeouts. "Test and save" runs the connection test on the server;
// Owners also get "Save without testing".
import { Form } from '@remix-run/react';
import type { ConnectionOptionsInput } from '../lib/environment-form';
import type { ActionResult } from '../lib/forms';
import { EncryptionFields } from './encryption-fields';
import { CheckboxField, Field, SubmitButton, useDelayedTrue, useSubmitting } from './form';
import { ServerFields } from './server-fields';
import { TestProgress } from './test-steps';

export interface EnvironmentFormValues {
  name?: string;
  description?: string | null;
  isDefault?: boolean;
  connection?: {
    host: string;
    port: number;
    database: string;
    user: string | null;
    hasPassword: boolean;
    options: Omit<ConnectionOptionsInput, 'encryption'> & { encryption?: string | undefined };
    /** What the stored settings ask for (the API's answer). */
    encryption?: { mode: string } | undefined;
  } | null;
}

export function EnvironmentForm({ initial, result, mode, isOwner }: { initial: EnvironmentFormValues; result: ActionResult | undefined; mode: 'create' | 'update'; isOwner: boolean }) {
  const failed = result && !result.ok ? result : undefined;
  const values = failed?.values;
  const errors = failed?.fieldErrors ?? {};
  const c = initial.connection;
  // After a refusal the form shows what the user submitted; before, what is stored.
  const value = (name: string, stored: string | number | null | undefined) => (values ? (values[name] ?? '') : stored == null ? '' : String(stored));
  const checked = (name: string, stored: boolean | undefined) => (values ? values[name] === 'on' : Boolean(stored));
  const testing = useDelayedTrue(useSubmitting('save'));
  return (
    <Form method="post" className="stack" aria-label={mode === 'create' ? 'New environment' : 'Environment settings'} noValidate>
      <fieldset>
        <legend>Environment</legend>
        <div className="form-grid">
          <Field name="name" label="Name" required defaultValue={value('name', initial.name)} error={errors.name} />
          <Field name="description" label="Description" defaultValue={value('description', initial.description)} error={errors.description} />
        </div>
        {mode === 'create' ? <CheckboxField name="isDefault" label="Make this the default environment" defaultChecked={checked('isDefault', initial.isDefault)} hint="The first environment of a workspace is always the default." /> : null}
      </fieldset>
      <fieldset>
        <legend>SQL Server connection</legend>
        <div className="form-grid">
          <Field name="connection.host" label="Host" required defaultValue={value('connection.host', c?.host)} error={errors['connection.host']} hint="Hostname or IP address" autoComplete="off" />
          <Field name="connection.port" label="Port" inputMode="numeric" defaultValue={value('connection.port', c?.port ?? 1433)} error={errors['connection.port']} />
          <Field name="connection.database" label="Database" required defaultValue={value('connection.database', c?.database)} error={errors['connection.database']} autoComplete="off" />
          <Field name="connection.user" label="User" required defaultValue={value('connection.user', c?.user)} error={errors['connection.user']} autoComplete="off" />
          <Field
            name="connection.password"
            label="Password"
            type="password"
            autoComplete="new-password"
            error={errors['connection.password']}
            hint={c?.hasPassword ? 'A password is set. Leave blank to keep it; a new host or failover partner needs it again.' : mode === 'update' ? 'No password is set. Leave blank to keep none.' : 'Stored encrypted; never shown again.'}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>TLS</legend>
        <EncryptionFields
          prefix="connection.options"
          type="mssql"
          storedType="mssql"
          initial={{ mode: c?.encryption?.mode, trustServerCertificate: c?.options.trustServerCertificate, ca: c?.options.ca }}
          values={values}
          errors={errors}
        />
      </fieldset>
      <fieldset>
        <legend>Failover and read intent</legend>
        <ServerFields prefix="connection.options" type="mssql" storedType="mssql" initial={c?.options ?? {}} values={values} errors={errors} />
      </fieldset>
      <fieldset>
        <legend>Pool and timeouts</legend>
        <div className="form-grid">
          <Field name="connection.options.poolSize" label="Pool size" inputMode="numeric" placeholder="10" defaultValue={value('connection.options.poolSize', c?.options.poolSize)} error={errors['connection.options.poolSize']} hint="Connections kept per pool (1–100)." />
          <Field name="connection.options.connectTimeoutMs" label="Connect timeout (ms)" inputMode="numeric" placeholder="15000" defaultValue={value('connection.options.connectTimeoutMs', c?.options.connectTimeoutMs)} error={errors['connection.options.connectTimeoutMs']} />
          <Field name="connection.options.requestTimeoutMs" label="Request timeout (ms)" inputMode="numeric" placeholder="15000" defaultValue={value('connection.options.requestTimeoutMs', c?.options.requestTimeoutMs)} error={errors['connection.options.requestTimeoutMs']} />
          <Field name="connection.options.idleTimeoutMs" label="Idle timeout (ms)" inputMode="numeric" placeholder="1800000" defaultValue={value('connection.options.idleTimeoutMs', c?.options.idleTimeoutMs)} error={errors['connection.options.idleTimeoutMs']} />
        </div>
      </fieldset>
      {testing ? <TestProgress /> : null}
      <div className="form-actions">
        <SubmitButton intent="save" pendingLabel="Testing connection…">
          Test and save
        </SubmitButton>
        {isOwner ? (
          <SubmitButton intent="saveUntested" variant="secondary" pendingLabel="Saving…">
            Save without testing
          </SubmitButton>
        ) : null}
        <span className="muted small">Saving tests the connection first; nothing is saved when the test fails.</span>
      </div>
    </Form>
  );
}
