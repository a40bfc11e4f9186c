/**
 * The emulator's TLS certificate: self-signed for the loopback names, generated per process
 * unless one is supplied, so a client with the driver's default `encrypt: true` gets a real TLS
 * session. A client verifies it like any private CA: `cryptoCredentialsDetails.ca`, or the
 * process trust store (NODE_EXTRA_CA_CERTS, which the test runs set).
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TlsCredentials {
  /** PEM private key (PKCS#8). */
  key: string;
  /** PEM certificate; also what a client passes as its `ca` to verify the emulator. */
  cert: string;
}

/** Files holding the certificate every emulator of a test run presents (see tooling/). */
export const CERT_FILE_ENV = 'MSSQL_EMULATOR_TLS_CERT_FILE';
export const KEY_FILE_ENV = 'MSSQL_EMULATOR_TLS_KEY_FILE';

const DAY_MS = 86_400_000;

/**
 * A fresh self-signed certificate for localhost, 127.0.0.1 and ::1, valid for a year. Node makes
 * the RSA key (natively, off the main thread); node-forge writes the certificate, which Node
 * cannot.
 */
export async function generateCertificate(commonName = 'mssql-emulator'): Promise<TlsCredentials> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial in minimal DER: the first byte's top bit clear (no sign padding) and its
  // next bit set (no leading zero byte, which OpenSSL refuses as illegal padding).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  certificate.serialNumber = serial.toString('hex');
  certificate.validity.notBefore = new Date(Date.now() - DAY_MS);
  certificate.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  const subject = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(certificate) };
}

/** The run-wide certificate named by the environment, when both files are set. */
export function certificateFromEnvironment(env: NodeJS.ProcessEnv = process.env): TlsCredentials | undefined {
  const certFile = env[CERT_FILE_ENV];
  const keyFile = env[KEY_FILE_ENV];
  if (!certFile || !keyFile) return undefined;
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
