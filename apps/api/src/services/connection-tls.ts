// A connection's encryption settings as the API takes and shows them. The modes themselves, what
// each asks of a driver and how an older `tls` switch maps to one live in @studio/mssql-pool
// (src/tls.ts); here: the registry's field names (`options.tls` is the pool's `encrypt`), the
// checks a person gets a field-named 400 for, and the CA certificate check.
import { X509Certificate } from 'node:crypto';
import type { ConnectionOptions, ConnectionTlsRecord, ConnectionType } from '@studio/db/schema';
import { daysUntil, encryptionSettingsProblem, tlsRequirementOf, type ConnectionTargetOptions, type EncryptionMode, type EncryptionSettings } from '@studio/mssql-pool';
import { InvalidInputError, ServiceError } from './errors';

/** The registry's options in the pool's terms (`tls` is the older on/off switch). */
function settingsOf(options: ConnectionOptions): EncryptionSettings {
  return {
    // Stored values came through the input schema; anything else is refused by the pool's own check.
    ...(options.encryption !== undefined && { encryption: options.encryption as EncryptionMode }),
    ...(options.tls !== undefined && { encrypt: options.tls }),
    ...(options.trustServerCertificate !== undefined && { trustServerCertificate: options.trustServerCertificate }),
  };
}

/** The TLS part of a pool target (or a probe) for a registry row's options. */
export function poolTlsOptionsOf(options: ConnectionOptions): Pick<ConnectionTargetOptions, 'encryption' | 'encrypt' | 'trustServerCertificate' | 'ca'> {
  const { encryption, encrypt, trustServerCertificate } = settingsOf(options);
  return {
    ...(encryption !== undefined && { encryption }),
    ...(encrypt !== undefined && { encrypt }),
    ...(trustServerCertificate !== undefined && { trustServerCertificate }),
    ...(options.ca !== undefined && { ca: options.ca }),
  };
}

/** What a connection's settings ask for (never what was negotiated: that is the test's and the pool's to say). */
export interface RequestedEncryption {
  mode: EncryptionMode;
  /** TLS must be negotiated; a server without it is refused (security_violation / ssl_required). */
  tlsRequired: boolean;
  /** `none`: the certificate is not checked (an explicit choice the UI marks with a warning). */
  certificateCheck: 'none' | 'chain' | 'full';
}

export function requestedEncryptionOf(type: ConnectionType, options: ConnectionOptions): RequestedEncryption {
  const requirement = tlsRequirementOf(type, settingsOf(options));
  return { mode: requirement.mode, tlsRequired: requirement.required, certificateCheck: requirement.required ? requirement.verify : 'none' };
}

/** The field path of a pool-side setting in the registry's options. */
const FIELD: Record<'encryption' | 'encrypt' | 'trustServerCertificate', string> = { encryption: 'encryption', encrypt: 'tls', trustServerCertificate: 'trustServerCertificate' };

/** A contradiction in a connection's encryption settings, with the input path (`options.encryption`) at fault. */
export function encryptionProblemOf(type: ConnectionType, options: ConnectionOptions, prefix = 'options'): { path: string; message: string } | undefined {
  const problem = encryptionSettingsProblem(type, settingsOf(options));
  return problem === undefined ? undefined : { path: `${prefix}.${FIELD[problem.field]}`, message: problem.message };
}

/** Refuses (400, naming the field) encryption settings that do not fit the connection's type. */
export function assertEncryptionSettings(type: ConnectionType, options: ConnectionOptions, prefix = 'options'): void {
  const problem = encryptionProblemOf(type, options, prefix);
  if (problem) throw new InvalidInputError(problem.path, `${problem.path}: ${problem.message}`, { fields: [{ path: problem.path, message: problem.message }] });
}

/** The last test's TLS as shown: its certificate's days to expiry counted now. */
export function lastTlsOf(record: ConnectionTlsRecord | null) {
  if (record === null) return null;
  const { certificate, ...rest } = record;
  if (!certificate) return { ...rest, ...(certificate === null && { certificate: null }) };
  return { ...rest, certificate: { ...certificate, daysToExpiry: daysUntil(certificate.validTo) } };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Why a CA certificate (PEM, one or more) cannot be stored: it does not parse, or one of them is
 * expired or not yet valid. Undefined when it is fine. Not a secret, so it is shown back as is.
 */
export function caCertificateProblem(pem: string, now = Date.now()): string | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'must be a PEM certificate (-----BEGIN CERTIFICATE----- …)';
  for (const [index, block] of blocks.entries()) {
    const which = blocks.length > 1 ? `certificate ${index + 1}` : 'the certificate';
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      return `${which} does not parse as an X.509 certificate`;
    }
    if (Date.parse(certificate.validTo) <= now) return `${which} (${certificate.subject.replaceAll('\n', ', ')}) expired on ${new Date(certificate.validTo).toISOString().slice(0, 10)}`;
    if (Date.parse(certificate.validFrom) > now) return `${which} is not valid before ${new Date(certificate.validFrom).toISOString().slice(0, 10)}`;
  }
  return undefined;
}

/**
 * The server did not offer the TLS the connection requires: refused, nothing sent in plaintext
 * (`current_protocol: plain` is what the server offered).
 */
export class SecurityViolationError extends ServiceError {
  constructor(message: string, details: { database_type: string; error_code: string | null } & Record<string, unknown>, options?: { cause?: unknown }) {
    super('security_violation', message, { reason: 'ssl_required', current_protocol: 'plain', ...details }, options);
    this.name = 'SecurityViolationError';
  }
}

export const SSL_REQUIRED_MESSAGE = 'Security check failed: the server does not offer TLS and this connection requires it; nothing was sent in plaintext';
