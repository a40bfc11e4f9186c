// TLS as SQL Server speaks it, through the unmodified driver: the PRELOGIN negotiation (tedious
// 20 refuses a server that does not negotiate encryption while `encrypt` is true), TLS inside
// PRELOGIN packets, TDS 8.0 strict (TLS first, ALPN tds/8.0), the server's encryption settings,
// and certificates a client must refuse.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Connection, type ConnectionConfiguration, Request } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificate, generateTlsCredentials, startEmulator, type EmulatorOptions, type RunningEmulator, type SessionInfo, type TlsCredentials } from '../src/index';
import { Encryption } from '../src/protocol/prelogin';
import { RawTdsClient } from './raw-tds-client';

interface Outcome {
  /** TLS protocol of the session, undefined when it stayed in plaintext. */
  tls: string | undefined;
  error: (Error & { code?: string }) | undefined;
}

/** Logs in with tedious (defaults unless overridden), runs SELECT 1, reports what happened. */
function login(emulator: RunningEmulator, options: ConnectionConfiguration['options'] = {}, server = emulator.config.server): Promise<Outcome> {
  const { port, user, password, database } = emulator.config;
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
    // The client gave up after PRELOGIN: its password never crossed the wire.
    expect(plaintextOnly.control.plaintextLoginCount).toBe(0);
  });
});

/** The session the emulator saw for the next successful login. */
function nextSession(emulator: RunningEmulator): Promise<SessionInfo> {
  return new Promise((resolve) => emulator.emulator.once('login', resolve));
}

/** Starts emulators for a describe block and closes them after it. */
function useEmulators<K extends string>(options: () => Promise<Record<K, EmulatorOptions>>): Record<K, RunningEmulator> {
  const started = {} as Record<K, RunningEmulator>;
  beforeAll(async () => {
    const all = Object.entries(await options()) as [K, EmulatorOptions][];
    const running = await Promise.all(all.map(([, o]) => startEmulator(o)));
    all.forEach(([name], i) => {
      started[name] = running[i]!;
    });
  }, 300_000);
  afterAll(async () => {
    await Promise.all(Object.values<RunningEmulator>(started).map((e) => e.close()));
  });
  return started;
}

describe('a throwaway CA made at start', () => {
  const e = useEmulators(async () => ({ generated: { tlsHostNames: ['localhost', '127.0.0.1'] } }));

  it('signs the server certificate for the host names asked for; a client trusts the CA, not the certificate', async () => {
    const tls = e.generated.tls!;
    expect(tls.encryption).toBe('optional');
    const ca = new X509Certificate(tls.caPem);
    const server = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(e.generated.certificate).toBe(tls.caPem);

    const withCa = await login(e.generated, { cryptoCredentialsDetails: { ca: tls.caPem } }, 'localhost');
    expect(withCa.error).toBeUndefined();
    expect(withCa.tls).toBe('TLSv1.2');
  });

  it('is refused by a client that does not trust the CA, and accepted with trustServerCertificate', async () => {
    const untrusted = await login(e.generated, {}, 'localhost');
    expect(untrusted.error?.code).toBe('ESOCKET');
    expect(untrusted.error?.message).toMatch(/unable to verify the first certificate/);

    const trusting = await login(e.generated, { trustServerCertificate: true }, 'localhost');
    expect(trusting.error).toBeUndefined();
    expect(trusting.tls).toBe('TLSv1.2');
  });
});

describe('certificates a client refuses', () => {
  let wrongHost: TlsCredentials & { ca: string };
  let expired: TlsCredentials & { ca: string };
  const e = useEmulators(async () => {
    const dayMs = 86_400_000;
    [wrongHost, expired] = await Promise.all([
      generateTlsCredentials({ hostNames: ['db.example.test'] }),
      generateTlsCredentials({ hostNames: ['localhost'], notBefore: new Date(Date.now() - 400 * dayMs), notAfter: new Date(Date.now() - dayMs) }),
    ]);
    return { wrongHost: { tls: wrongHost }, expired: { tls: expired } };
  });

  it('a certificate for another host name: refused with the CA, accepted only with trustServerCertificate', async () => {
    const refused = await login(e.wrongHost, { cryptoCredentialsDetails: { ca: wrongHost.ca } }, 'localhost');
    expect(refused.error?.code).toBe('ESOCKET');
    expect(refused.error?.message).toMatch(/Hostname\/IP does not match certificate's altnames/);
    expect(e.wrongHost.control.plaintextLoginCount).toBe(0);

    const trusting = await login(e.wrongHost, { trustServerCertificate: true }, 'localhost');
    expect(trusting.error).toBeUndefined();
  });

  it('an expired certificate: refused, and the message says it expired', async () => {
    const refused = await login(e.expired, { cryptoCredentialsDetails: { ca: expired.ca } }, 'localhost');
    expect(refused.error?.code).toBe('ESOCKET');
    expect(refused.error?.message).toContain('certificate has expired');
  });
});

describe('TDS 8.0 (encrypt: strict)', () => {
  let credentials: Required<TlsCredentials>;
  const e = useEmulators(async () => {
    credentials = await generateTlsCredentials({ hostNames: ['localhost'] });
    return { optional: { tls: credentials }, strictOnly: { tls: credentials, encryption: 'strict' as const } };
  });

  it('a strict client opens with TLS 1.3 and ALPN tds/8.0, then logs in inside it', async () => {
    const session = nextSession(e.optional);
    const outcome = await login(e.optional, { encrypt: 'strict', cryptoCredentialsDetails: { ca: credentials.ca } }, 'localhost');
    expect(outcome.error).toBeUndefined();
    expect(await session).toMatchObject({ encryption: 'strict', tlsProtocol: 'TLSv1.3' });

    const raw = tlsConnect({ host: '127.0.0.1', port: e.optional.port, servername: 'localhost', ca: credentials.ca, ALPNProtocols: ['tds/8.0'] });
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      raw.once('secureConnect', () => resolve(raw.alpnProtocol));
      raw.once('error', reject);
    });
    raw.destroy();
    expect(alpn).toBe('tds/8.0');
  });

  it('verifies the certificate whatever trustServerCertificate says, as SQL Server clients do under strict', async () => {
    const outcome = await login(e.optional, { encrypt: 'strict', trustServerCertificate: true }, 'localhost');
    expect(outcome.error?.code).toBe('ESOCKET');
    expect(outcome.error?.message).toMatch(/unable to verify the first certificate/);
  });

  it('with Force Strict Encryption, serves TDS 8.0 clients only', async () => {
    const tds7 = await login(e.strictOnly, { cryptoCredentialsDetails: { ca: credentials.ca } }, 'localhost');
    expect(tds7.error?.code).toBe('ESOCKET');
    const strict = await login(e.strictOnly, { encrypt: 'strict', cryptoCredentialsDetails: { ca: credentials.ca } }, 'localhost');
    expect(strict.error).toBeUndefined();
    expect(e.strictOnly.control.plaintextLoginCount).toBe(0);
  });
});

describe('Force Encryption (--tls-only: ENCRYPT_REQ)', () => {
  let credentials: Required<TlsCredentials>;
  const e = useEmulators(async () => {
    credentials = await generateTlsCredentials({ hostNames: ['localhost'] });
    return { forced: { tls: credentials, encryption: 'forced' as const } };
  });

  it('serves a client that encrypts, and refuses one with encrypt: false before its login is sent', async () => {
    const encrypting = await login(e.forced, { cryptoCredentialsDetails: { ca: credentials.ca } }, 'localhost');
    expect(encrypting.error).toBeUndefined();
    expect(encrypting.tls).toBe('TLSv1.2');

    const plaintext = await login(e.forced, { encrypt: false }, 'localhost');
    expect(plaintext.error?.code).toBe('EENCRYPT');
    expect(plaintext.error?.message).toContain('Server requires encryption');
    expect(e.forced.control.plaintextLoginCount).toBe(0);
  });

  it('answers ENCRYPT_REQ to a client that asked for the login packet only, and encrypts everything', async () => {
    const client = await RawTdsClient.open(e.forced.port);
    try {
      expect(await client.prelogin(Encryption.OFF)).toBe(Encryption.REQ);
      expect(await client.startTls(credentials.ca)).toBe('TLSv1.2');
      const session = nextSession(e.forced);
      expect(await client.login(e.forced.config.user, e.forced.config.password, 'master')).toBe(true);
      expect((await session).encryption).toBe('tls');
    } finally {
      client.close();
    }
  });

  it('ends the connection of a client that cannot encrypt (ENCRYPT_NOT_SUP)', async () => {
    const client = await RawTdsClient.open(e.forced.port);
    expect(await client.prelogin(Encryption.NOT_SUP)).toBe(Encryption.REQ);
    await client.closed();
  });
});

describe('FreeTDS-style clients (ENCRYPTION as they send it)', () => {
  let credentials: Required<TlsCredentials>;
  const e = useEmulators(async () => {
    credentials = await generateTlsCredentials({ hostNames: ['localhost'] });
    return { optional: { tls: credentials, databases: ['app'] } };
  });

  it('encryption = require (ENCRYPT_REQ): ENCRYPT_ON, then TLS for the whole connection', async () => {
    const client = await RawTdsClient.open(e.optional.port);
    try {
      expect(await client.prelogin(Encryption.REQ)).toBe(Encryption.ON);
      expect(await client.startTls(credentials.ca)).toBe('TLSv1.2');
      const session = nextSession(e.optional);
      expect(await client.login(e.optional.config.user, e.optional.config.password, 'app')).toBe(true);
      expect((await session).encryption).toBe('tls');
      expect((await client.query("SELECT N'inside TLS' AS v")).includes(Buffer.from('inside TLS', 'utf16le'))).toBe(true);
    } finally {
      client.close();
    }
  });

  it('ENCRYPT_OFF: only the login packet is encrypted, the rest travels in plaintext', async () => {
    const before = e.optional.control.plaintextLoginCount;
    const client = await RawTdsClient.open(e.optional.port);
    try {
      expect(await client.prelogin(Encryption.OFF)).toBe(Encryption.OFF);
      await client.startTls(credentials.ca);
      const session = nextSession(e.optional);
      expect(await client.login(e.optional.config.user, e.optional.config.password, 'app', { loginOnly: true })).toBe(true);
      expect((await session).encryption).toBe('login-only');
      expect((await client.query("SELECT N'plaintext after login' AS v")).includes(Buffer.from('plaintext after login', 'utf16le'))).toBe(true);
      expect(e.optional.control.plaintextLoginCount).toBe(before);
    } finally {
      client.close();
    }
  });

  it('ENCRYPT_NOT_SUP: nothing is encrypted, and the emulator counts the plaintext login', async () => {
    const before = e.optional.control.plaintextLoginCount;
    const client = await RawTdsClient.open(e.optional.port);
    try {
      expect(await client.prelogin(Encryption.NOT_SUP)).toBe(Encryption.NOT_SUP);
      expect(await client.login(e.optional.config.user, e.optional.config.password, 'app')).toBe(true);
      expect(e.optional.control.plaintextLoginCount).toBe(before + 1);
    } finally {
      client.close();
    }
  });
});

describe('the CLI', () => {
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-cli-tls-'));
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves with its output once it listens (or has exited). */
  function run(args: string[]): Promise<{ output: string; code: number | null }> {
    return new Promise((resolve) => {
      const started = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (/clients trust|tls: none/.test(output)) resolve({ output, code: null });
      };
      started.stdout.on('data', collect);
      started.stderr.on('data', collect);
      started.once('exit', (code) => resolve({ output, code }));
    });
  }

  it('--tls-cert/--tls-key/--tls-ca with --tls-strict: serves strict clients that trust the CA given', async () => {
    const credentials = await generateTlsCredentials({ hostNames: ['localhost'] });
    await Promise.all([writeFile(join(dir, 'server.crt'), credentials.cert), writeFile(join(dir, 'server.key'), credentials.key), writeFile(join(dir, 'ca.crt'), credentials.ca)]);
    const caOut = join(dir, 'trust.pem');
    const { output } = await run(['--port', '0', '--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key'), '--tls-ca', join(dir, 'ca.crt'), '--tls-strict', '--tls-ca-out', caOut]);
    expect(output).toContain(`tls: strict; clients trust ${caOut}`);
    const port = Number(/listening on [^:]+:(\d+)/.exec(output)?.[1]);
    const emulatorLike = { config: { server: 'localhost', port, user: 'sa', password: 'Emulator-Passw0rd!', database: 'master' } } as RunningEmulator;
    expect((await login(emulatorLike, { encrypt: 'strict', cryptoCredentialsDetails: { ca: credentials.ca } })).error).toBeUndefined();
    expect((await login(emulatorLike, { cryptoCredentialsDetails: { ca: credentials.ca } })).error?.code).toBe('ESOCKET');
    child?.kill('SIGTERM');
  });

  it('refuses contradictory encryption flags', async () => {
    const { output, code } = await run(['--port', '0', '--tls-only', '--no-tls']);
    expect(code).toBe(2);
    expect(output).toContain('choose one of --tls-only, --tls-strict, --no-tls');
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
