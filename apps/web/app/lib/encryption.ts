// Encryption as the connection and environment forms offer it: each type's modes in the words a
// person picks from, the default of a new connection, and the warning a choice that leaves the
// password exposed must carry. The modes themselves are the API's (ENCRYPTION_MODES); what a
// stored connection asks for and what was negotiated come from the API, never from here.
import type { EncryptionMode } from '@studio/api';

export type DatabaseType = 'mssql' | 'postgres' | 'mysql';

export interface EncryptionChoice {
  mode: EncryptionMode;
  label: string;
  hint: string;
}

/** Safest first. */
export const encryptionChoices: Record<DatabaseType, readonly EncryptionChoice[]> = {
  mssql: [
    { mode: 'required', label: 'Required', hint: 'TLS for the whole connection; a server that does not offer it is refused. The certificate is checked unless you trust it below.' },
    { mode: 'strict', label: 'Strict (TDS 8.0)', hint: 'TLS before anything else (SQL Server 2022 and later); the certificate is always checked.' },
    { mode: 'off', label: 'Off', hint: 'Nothing is encrypted, not even the login and its password (this driver has no login-only encryption).' },
  ],
  postgres: [
    { mode: 'verify-full', label: 'Verify full', hint: 'TLS; the certificate and the host name are checked.' },
    { mode: 'verify-ca', label: 'Verify CA', hint: 'TLS; the certificate is checked against the CA, the host name is not.' },
    { mode: 'require', label: 'Require', hint: 'TLS, but the certificate is not checked.' },
    { mode: 'disable', label: 'Disable', hint: 'Nothing is encrypted, the login and its password included.' },
  ],
  mysql: [
    { mode: 'verify-identity', label: 'Verify identity', hint: 'TLS; the certificate and the host name are checked.' },
    { mode: 'required', label: 'Required', hint: 'TLS, but the certificate is not checked.' },
    { mode: 'off', label: 'Off', hint: 'Nothing is encrypted, the login and its password included.' },
  ],
};

/** A new connection's mode: what each driver did before modes existed (SQL Server encrypts). */
export const defaultEncryption: Record<DatabaseType, EncryptionMode> = { mssql: 'required', postgres: 'disable', mysql: 'off' };

export function encryptionChoice(type: DatabaseType, mode: string | undefined): EncryptionChoice | undefined {
  return encryptionChoices[type].find((choice) => choice.mode === mode);
}

export interface EncryptionWarning {
  label: string;
  detail: string;
}

/** The warning badge of an encryption choice that leaves the channel open, or null. */
export function encryptionWarningOf(type: DatabaseType, mode: string, certificateChecked: boolean): EncryptionWarning | null {
  if (mode === 'off' || mode === 'disable') {
    return { label: 'Not encrypted', detail: type === 'mssql' ? 'Nothing is encrypted, not even the login and its password.' : 'Nothing is encrypted, the login and its password included.' };
  }
  if (!certificateChecked) return { label: 'Certificate not checked', detail: 'TLS without checking the certificate: anyone on the path can pose as the server and read the password.' };
  return null;
}

/** Whether a mode checks the certificate, as the form shows it before saving (the API decides on save). */
export function checksCertificate(type: DatabaseType, mode: string, trustServerCertificate: boolean): boolean {
  if (mode === 'off' || mode === 'disable' || mode === 'require') return false;
  if (mode === 'required') return type === 'mssql' && !trustServerCertificate;
  return true;
}
