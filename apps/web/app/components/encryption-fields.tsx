// The encryption part of the connection and environment forms: the type's modes, "trust server
// certificate" (SQL Server `required` only), the CA certificate to check the server against, and
// a warning badge on any choice that leaves the password readable or the server unverified. Field
// names are the input paths (`options.encryption`, `connection.options.ca`).
import { useEffect, useState } from 'react';
import { checksCertificate, defaultEncryption, encryptionChoice, encryptionChoices, encryptionWarningOf, type DatabaseType } from '../lib/encryption';
import { CheckboxField, SelectField, TextAreaField } from './form';
import { Badge } from './ui';

/** What the option fieldsets of the connection and environment forms are given. */
export interface OptionFieldsProps<Initial> {
  /** Where the fields' input paths start: a connection's `options`, an environment's `connection.options`. */
  prefix: 'options' | 'connection.options';
  type: DatabaseType;
  storedType: DatabaseType;
  initial: Initial;
  /** What was submitted last (after a refusal), shown instead of the stored values. */
  values: Record<string, string> | undefined;
  errors: Record<string, string>;
}

export interface EncryptionInitial {
  /** The mode in force for the stored connection (the API's `encryption.mode`). */
  mode?: string | undefined;
  trustServerCertificate?: boolean | undefined;
  ca?: string | undefined;
}

/** The warning badge of a mode, with what it means. */
export function EncryptionWarningBadge({ type, mode, certificateChecked }: { type: DatabaseType; mode: string; certificateChecked: boolean }) {
  const warning = encryptionWarningOf(type, mode, certificateChecked);
  if (!warning) return null;
  return (
    <p className="encryption-warning small" data-testid="encryption-warning">
      <Badge tone="warning">{warning.label}</Badge> <span>{warning.detail}</span>
    </p>
  );
}

/**
 * `type`: the connection's type now (the form's type picker); the stored mode applies while it is
 * the stored type, else that type's default. `values`: what was submitted last (after a refusal).
 */
export function EncryptionFields({
  prefix,
  type,
  storedType,
  initial,
  values,
  errors,
}: OptionFieldsProps<EncryptionInitial>) {
  const field = (name: string) => `${prefix}.${name}`;
  const submittedMode = values?.[field('encryption')];
  const startMode = (t: DatabaseType) => {
    const wanted = values ? submittedMode : t === storedType ? initial.mode : undefined;
    return encryptionChoice(t, wanted)?.mode ?? defaultEncryption[t];
  };
  const [modes, setModes] = useState<Partial<Record<DatabaseType, string>>>({});
  const mode = modes[type] ?? startMode(type);
  const [trust, setTrust] = useState(values ? values[field('trustServerCertificate')] === 'on' : Boolean(initial.trustServerCertificate));
  // Set once hydrated: before that, a choice reaches plain inputs and the badge cannot follow it.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const choice = encryptionChoice(type, mode);
  const trustApplies = type === 'mssql' && mode === 'required';
  const usesTls = mode !== 'off' && mode !== 'disable';
  return (
    <div className="stack encryption-fields" data-testid="encryption-fields" data-ready={hydrated ? 'true' : 'false'}>
      <div className="form-grid">
        <SelectField
          key={type}
          name={field('encryption')}
          label="Encryption"
          defaultValue={mode}
          error={errors[field('encryption')] ?? errors[field('tls')]}
          hint={choice?.hint}
          onChange={(event) => {
            const chosen = event.currentTarget.value;
            setModes((current) => ({ ...current, [type]: chosen }));
          }}
        >
          {encryptionChoices[type].map((c) => (
            <option key={c.mode} value={c.mode}>
              {c.label}
            </option>
          ))}
        </SelectField>
        {trustApplies ? (
          <CheckboxField
            name={field('trustServerCertificate')}
            label="Trust server certificate"
            defaultChecked={trust}
            onChange={(event) => setTrust(event.currentTarget.checked)}
            hint="Do not check the certificate (development servers only)."
            error={errors[field('trustServerCertificate')]}
          />
        ) : null}
      </div>
      <EncryptionWarningBadge type={type} mode={mode} certificateChecked={checksCertificate(type, mode, trust)} />
      {usesTls ? (
        <TextAreaField
          name={field('ca')}
          label="CA certificate (PEM)"
          rows={3}
          spellCheck={false}
          className="field-wide"
          placeholder="-----BEGIN CERTIFICATE-----"
          defaultValue={values ? (values[field('ca')] ?? '') : (initial.ca ?? '')}
          error={errors[field('ca')]}
          hint="The CA that issued the server's certificate, when it is not a public one. Not a secret; checked when saved (it must parse and be valid now)."
        />
      ) : null}
    </div>
  );
}
