// Encryption per connection: the modes each database type offers, what a mode asks of the
// driver, and what a session actually negotiated. The one home of this vocabulary: the adapters
// configure drivers from `tlsRequirementOf`, the API validates and shows modes with the same
// functions, and nothing reports TLS from what was asked for instead of what the socket says.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { DatabaseType } from './database-type';

/**
 * SQL Server: `off` (no TLS), `required` (TDS 7.x TLS), `strict` (TDS 8.0: TLS first, always
 * verified). PostgreSQL: libpq's sslmode names. MySQL: the client's --ssl-mode names.
 */
export const ENCRYPTION_MODES = {
  mssql: ['off', 'required', 'strict'],
  postgres: ['disable', 'require', 'verify-ca', 'verify-full'],
  mysql: ['off', 'required', 'verify-identity'],
} as const satisfies Record<DatabaseType, readonly string[]>;

export type EncryptionModeOf<K extends DatabaseType> = (typeof ENCRYPTION_MODES)[K][number];
export type EncryptionMode = EncryptionModeOf<DatabaseType>;

/** Every mode of every type, for schemas that see the mode before the type. */
export const ALL_ENCRYPTION_MODES: readonly EncryptionMode[] = [...new Set<EncryptionMode>(Object.values(ENCRYPTION_MODES).flat())];

/** The connection settings that decide encryption, as stored (`encrypt` is the older on/off switch). */
export interface EncryptionSettings {
  encryption?: EncryptionMode | undefined;
  encrypt?: boolean | undefined;
  trustServerCertificate?: boolean | undefined;
}

/** What a mode asks of the driver. */
export interface TlsRequirement {
  mode: EncryptionMode;
  /** TLS must be negotiated: a server that does not offer it is refused (`ssl_required`), never used in plaintext. */
  required: boolean;
  /** How the server's certificate is checked: not at all, its chain up to a trusted CA, or the chain and the host name. */
  verify: 'none' | 'chain' | 'full';
  /** SQL Server TDS 8.0: TLS before any TDS, ALPN tds/8.0. */
  strict: boolean;
}

/**
 * The mode in force. Without an explicit `encryption`, the older switch decides, never more
 * quietly than it did: SQL Server encrypts unless `encrypt` is false (the driver's default);
 * PostgreSQL and MySQL with `encrypt: true` verify the certificate and the host name unless
 * `trustServerCertificate` says not to.
 */
export function encryptionModeOf(type: DatabaseType, settings: EncryptionSettings): EncryptionMode {
  if (settings.encryption !== undefined) return settings.encryption;
  const trust = settings.trustServerCertificate === true;
  switch (type) {
    case 'mssql':
      return settings.encrypt === false ? 'off' : 'required';
    case 'postgres':
      return settings.encrypt === true ? (trust ? 'require' : 'verify-full') : 'disable';
    case 'mysql':
      return settings.encrypt === true ? (trust ? 'required' : 'verify-identity') : 'off';
  }
}

export function tlsRequirementOf(type: DatabaseType, settings: EncryptionSettings): TlsRequirement {
  const mode = encryptionModeOf(type, settings);
  switch (mode) {
    case 'off':
    case 'disable':
      return { mode, required: false, verify: 'none', strict: false };
    case 'required':
      // SQL Server's `required` checks the certificate unless told to trust it; MySQL's never does.
      return { mode, required: true, verify: type === 'mssql' && settings.trustServerCertificate !== true ? 'full' : 'none', strict: false };
    case 'strict':
      return { mode, required: true, verify: 'full', strict: true };
    case 'require':
      return { mode, required: true, verify: 'none', strict: false };
    case 'verify-ca':
      return { mode, required: true, verify: 'chain', strict: false };
    case 'verify-full':
    case 'verify-identity':
      return { mode, required: true, verify: 'full', strict: false };
  }
}

/** A contradiction in the encryption settings of a connection of `type`, naming the option at fault. */
export interface EncryptionSettingsProblem {
  field: 'encryption' | 'encrypt' | 'trustServerCertificate';
  message: string;
}

export function encryptionSettingsProblem(type: DatabaseType, settings: EncryptionSettings): EncryptionSettingsProblem | undefined {
  const mode = settings.encryption;
  if (mode === undefined) return undefined;
  const modes: readonly string[] = ENCRYPTION_MODES[type];
  if (!modes.includes(mode)) return { field: 'encryption', message: `'${mode}' is not an encryption mode of ${type}; choose one of ${modes.join(', ')}` };
  const requirement = tlsRequirementOf(type, settings);
  if (settings.encrypt !== undefined && settings.encrypt !== requirement.required) {
    return { field: 'encrypt', message: `TLS ${settings.encrypt ? 'on' : 'off'} contradicts encryption '${mode}'` };
  }
  if (settings.trustServerCertificate === true) {
    if (requirement.strict) return { field: 'trustServerCertificate', message: "encryption 'strict' always verifies the certificate (TDS 8.0); it cannot be trusted blindly" };
    if (type !== 'mssql' && requirement.verify !== 'none') {
      return { field: 'trustServerCertificate', message: `encryption '${mode}' verifies the certificate; choose '${type === 'postgres' ? 'require' : 'required'}' to skip the check` };
    }
  }
  return undefined;
}

/** The server certificate of a session, as a person checks one. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** `DNS:db.example.com`, `IP Address:10.0.0.5`, ... */
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  /** Whole days from when it was read until `validTo` (negative once expired). */
  daysToExpiry: number;
  fingerprint256: string;
}

/** What a session actually negotiated. */
export interface NegotiatedTls {
  /** `TLSv1.2`, `TLSv1.3`. */
  protocol: string;
  /** OpenSSL/IANA cipher suite name. */
  cipher: string;
  /** `tds/8.0` under SQL Server strict; null when none was agreed. */
  alpnProtocol: string | null;
  /** The certificate was verified against the trusted CAs (false: the mode skips the check). */
  authorized: boolean;
  certificate: CertificateSummary | null;
}

/** What protects a session: TLS as negotiated, or nothing. */
export type ChannelSecurity = { encrypted: false } | ({ encrypted: true } & NegotiatedTls);

/** The certificate will soon need renewing: the test warns below this many days. */
export const CERTIFICATE_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;

export function daysUntil(validTo: string, now = Date.now()): number {
  return Math.floor((Date.parse(validTo) - now) / DAY_MS);
}

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

/** Reads what a connected TLS socket negotiated (undefined when it is not a TLS socket, or not yet secure). */
export function negotiatedTlsOf(socket: unknown, now = Date.now()): NegotiatedTls | undefined {
  const tls = socket as Partial<TLSSocket> | null | undefined;
  if (!tls || typeof tls.getProtocol !== 'function' || typeof tls.getCipher !== 'function') return undefined;
  const protocol = tls.getProtocol();
  if (!protocol) return undefined;
  const peer = typeof tls.getPeerCertificate === 'function' ? tls.getPeerCertificate() : undefined;
  const hasPeer = peer !== undefined && peer !== null && Object.keys(peer).length > 0;
  const validTo = hasPeer ? new Date(peer.valid_to).toISOString() : '';
  return {
    protocol,
    cipher: tls.getCipher().name,
    alpnProtocol: typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : null,
    authorized: tls.authorized === true,
    certificate: hasPeer
      ? {
          subject: distinguishedName(peer.subject),
          issuer: distinguishedName(peer.issuer),
          subjectAltNames: peer.subjectaltname ? peer.subjectaltname.split(', ') : [],
          validFrom: new Date(peer.valid_from).toISOString(),
          validTo,
          daysToExpiry: daysUntil(validTo, now),
          fingerprint256: peer.fingerprint256,
        }
      : null,
  };
}

/** `tls` with its certificate's days to expiry counted again from `now` (a pool lives for days). */
export function refreshedTls(tls: ChannelSecurity, now = Date.now()): ChannelSecurity {
  if (!tls.encrypted || tls.certificate === null) return tls;
  return { ...tls, certificate: { ...tls.certificate, daysToExpiry: daysUntil(tls.certificate.validTo, now) } };
}

export type SecurityViolation = 'ssl_required';

/**
 * A driver refused to go on because the server did not offer TLS that the connection requires
 * (tedious: EENCRYPT "Server did not negotiate encryption"; pg: "The server does not support SSL
 * connections"; mysql2: HANDSHAKE_NO_SSL_SUPPORT). Each refuses before sending the login.
 */
export function securityViolationOf(error: unknown): SecurityViolation | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EENCRYPT' && /did not negotiate encryption/i.test(e.message)) return 'ssl_required';
    if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return 'ssl_required';
    if (/server does not support SSL connections/i.test(e.message)) return 'ssl_required';
  }
  return undefined;
}
