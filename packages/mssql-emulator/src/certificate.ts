/**
 * The emulator's TLS certificates. By default a throwaway private CA is made at start and signs a
 * server certificate for the emulator's host names, as an organisation's own CA would: clients
 * trust the CA (`emulator.tls.caPem`, their `ca`), never the server certificate itself. Tests make
 * their own with `generateTlsCredentials` (another host name, already expired) to see a client
 * refuse them. Node makes the RSA keys (natively, off the main thread); node-forge writes the
 * certificates, which Node cannot.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TlsCredentials {
  /** PEM private key (PKCS#8) of the server certificate. */
  key: string;
  /** PEM server certificate (optionally followed by intermediates). */
  cert: string;
  /** PEM certificate a client trusts to verify `cert` (its issuing CA); default `cert` itself (self-signed). */
  ca?: string;
}

export interface GenerateTlsOptions {
  /** DNS names and IP addresses the server certificate is valid for; default localhost, 127.0.0.1, ::1. */
  hostNames?: readonly string[];
  /** Common name of the server certificate; default the first host name. */
  commonName?: string;
  /** Start of validity; default one day ago. */
  notBefore?: Date;
  /** End of validity; default a year from now. Put it in the past for an expired certificate. */
  notAfter?: Date;
}

/** Files holding the certificate every emulator of a test run presents (see tooling/). */
export const CERT_FILE_ENV = 'MSSQL_EMULATOR_TLS_CERT_FILE';
export const KEY_FILE_ENV = 'MSSQL_EMULATOR_TLS_KEY_FILE';

export const DEFAULT_TLS_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const DAY_MS = 86_400_000;

interface KeyPair {
  publicKey: string;
  privateKey: string;
}

function rsaKeyPair(): Promise<KeyPair> {
  return promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/**
 * A positive serial in minimal DER: the first byte's top bit clear (no sign padding) and its next
 * bit set (no leading zero byte, which OpenSSL refuses as illegal padding).
 */
function serialNumber(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial.toString('hex');
}

function altNamesOf(hostNames: readonly string[]) {
  return hostNames.map((name) => (isIP(name) === 0 ? { type: 2, value: name } : { type: 7, ip: name }));
}

function serverExtensions(hostNames: readonly string[]) {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNamesOf(hostNames) },
  ];
}

/**
 * A fresh self-signed certificate for localhost, 127.0.0.1 and ::1, valid for a year: the trust
 * anchor and the server certificate in one (what a test run trusts through NODE_EXTRA_CA_CERTS).
 */
export async function generateCertificate(commonName = 'mssql-emulator'): Promise<TlsCredentials> {
  const { publicKey, privateKey } = await rsaKeyPair();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  certificate.serialNumber = serialNumber();
  certificate.validity.notBefore = new Date(Date.now() - DAY_MS);
  certificate.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  const subject = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions(serverExtensions(DEFAULT_TLS_HOST_NAMES));
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(certificate) };
}

/**
 * A throwaway CA and a server certificate it signed for `hostNames`: `ca` is what a client trusts,
 * `cert` + `key` what the server presents. The CA's key is dropped, so nothing else can ever be
 * signed by it.
 */
export async function generateTlsCredentials(options: GenerateTlsOptions = {}): Promise<Required<TlsCredentials>> {
  const hostNames = options.hostNames ?? DEFAULT_TLS_HOST_NAMES;
  if (hostNames.length === 0) throw new TypeError('generateTlsCredentials: hostNames must name at least one host');
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY_MS);
  const [caKeys, serverKeys] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);

  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicKey);
  ca.serialNumber = serialNumber();
  // The CA outlives the server certificate on both ends, so an expired server certificate is the
  // only thing a client can object to.
  ca.validity.notBefore = new Date(Math.min(notBefore.getTime(), Date.now()) - DAY_MS);
  ca.validity.notAfter = new Date(Math.max(notAfter.getTime(), Date.now()) + 365 * DAY_MS);
  const caSubject = [
    { name: 'commonName', value: 'mssql-emulator throwaway CA' },
    { name: 'organizationName', value: '@studio/mssql-emulator' },
  ];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKey);
  ca.sign(caKey, forge.md.sha256.create());

  const server = forge.pki.createCertificate();
  server.publicKey = forge.pki.publicKeyFromPem(serverKeys.publicKey);
  server.serialNumber = serialNumber();
  server.validity.notBefore = notBefore;
  server.validity.notAfter = notAfter;
  server.setSubject([{ name: 'commonName', value: options.commonName ?? hostNames[0]! }]);
  server.setIssuer(caSubject);
  server.setExtensions([...serverExtensions(hostNames), { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() }]);
  server.sign(caKey, forge.md.sha256.create());

  return { key: serverKeys.privateKey, cert: forge.pki.certificateToPem(server), ca: forge.pki.certificateToPem(ca) };
}

/** Reads a certificate and key from PEM files (the CLI's --tls-cert / --tls-key). */
export function credentialsFromFiles(certFile: string, keyFile: string): TlsCredentials {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** The run-wide certificate named by the environment, when both files are set. */
export function certificateFromEnvironment(env: NodeJS.ProcessEnv = process.env): TlsCredentials | undefined {
  const certFile = env[CERT_FILE_ENV];
  const keyFile = env[KEY_FILE_ENV];
  if (!certFile || !keyFile) return undefined;
  return credentialsFromFiles(certFile, keyFile);
}
