// TLS as tedious 20 wants it: with the driver's default `encrypt: true` a server that does not
// negotiate encryption is refused, so the emulator must really speak TLS inside TDS.
import { X509Certificate } from 'node:crypto';
import { Connection, type ConnectionConfiguration, Request } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificate, startEmulator, type RunningEmulator, type TlsCredentials } from '../src/index';

interface Outcome {
  /** TLS protocol of the session, undefined when it stayed in plaintext. */
  tls: string | undefined;
  error: (Error & { code?: string }) | undefined;
}

/** Logs in with tedious (defaults unless overridden), runs SELECT 1, reports what happened. */
function login(emulator: RunningEmulator, options: ConnectionConfiguration['options'] = {}): Promise<Outcome> {
  const { server, port, user, password, database } = emulator.config;
  return new Promise((resolve) => {
    let tls: string | undefined;
    const connection = new Connection({
      server,
      authentication: { type: 'default', options: { userName: user, password } },
      options: { port, database, connectTimeout: 60_000, ...options },
    });
    connection.on('secure', (cleartext) => {
      tls = cleartext.getProtocol() ?? undefined;
    });
    connection.connect((error) => {
      if (error) {
        connection.close();
        resolve({ tls, error });
        return;
      }
      connection.execSql(
        new Request('SELECT 1', (requestError) => {
          connection.close();
          resolve({ tls, error: requestError ?? undefined });
        }),
      );
    });
  });
}

describe('TLS inside TDS', () => {
  let runWide: RunningEmulator;
  let ownCertificate: TlsCredentials;
  let privateCa: RunningEmulator;
  let plaintextOnly: RunningEmulator;

  beforeAll(async () => {
    ownCertificate = await generateCertificate('private-ca-server');
    [runWide, privateCa, plaintextOnly] = await Promise.all([startEmulator({ preload: true }), startEmulator({ tls: ownCertificate }), startEmulator({ tls: false })]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([runWide?.close(), privateCa?.close(), plaintextOnly?.close()]);
  });

  it('encrypts a client on default options, verifying the certificate the process trusts', async () => {
    const outcome = await login(runWide);
    expect(outcome.error).toBeUndefined();
    expect(outcome.tls).toBe('TLSv1.2');
  });

  it('keeps a client with encrypt: false in plaintext', async () => {
    const outcome = await login(runWide, { encrypt: false });
    expect(outcome.error).toBeUndefined();
    expect(outcome.tls).toBeUndefined();
  });

  it('is refused by a client that does not trust its certificate, and verified with it as the ca', async () => {
    const untrusted = await login(privateCa);
    expect(untrusted.error?.code).toBe('ESOCKET');
    expect(untrusted.error?.message).toContain('self-signed certificate');
    expect(privateCa.certificate).toBe(ownCertificate.cert);

    const trusted = await login(privateCa, { cryptoCredentialsDetails: { ca: privateCa.certificate } });
    expect(trusted.error).toBeUndefined();
    expect(trusted.tls).toBe('TLSv1.2');
  });

  it('with tls: false, refuses encrypting clients the way tedious reports a server without encryption', async () => {
    expect(plaintextOnly.certificate).toBeUndefined();
    const outcome = await login(plaintextOnly);
    expect(outcome.error?.code).toBe('EENCRYPT');
    expect(outcome.tls).toBeUndefined();
  });
});

describe('generateCertificate', () => {
  // Each certificate has a random serial; a badly encoded one (a sign byte before a small first
  // byte) is refused by OpenSSL about half the time, so a run of them catches it.
  it('writes certificates OpenSSL parses, with a positive 16-byte serial, every time', async () => {
    const certificates = await Promise.all(Array.from({ length: 12 }, () => generateCertificate('serial-check')));
    for (const { cert } of certificates) {
      const parsed = new X509Certificate(cert);
      expect(parsed.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
      expect(parsed.checkHost('localhost')).toBe('localhost');
      expect(parsed.checkIP('127.0.0.1')).toBe('127.0.0.1');
    }
  });
});
