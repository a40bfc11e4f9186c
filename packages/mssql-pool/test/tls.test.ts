// Encryption modes through the real drivers: what each mode asks, what the pool and the probe
// report as negotiated (from the socket, never from the settings), and no silent downgrade: a
// server that does not offer the TLS a connection requires is refused before the login is sent.
import { generateTlsCredentials, startEmulator, type EmulatorOptions, type RunningEmulator } from '@studio/mssql-emulator';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  PoolCreateError,
  PoolOptionsError,
  ProbeError,
  WorkspacePoolManager,
  encryptionModeOf,
  probeTarget,
  type ConnectionTargetOf,
  type ConnectionTargetOptions,
} from '../src/index';
import { databaseUrl, skipReason } from './env';
import { targetFromUrl, uniqueId } from './helpers';

const DAY_MS = 86_400_000;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('SQL Server encryption modes (tedious against the emulator)', () => {
  let ca: string;
  const emulators: Record<'optional' | 'plaintext' | 'wrongHost' | 'expired', RunningEmulator> = {} as never;
  const managers: WorkspacePoolManager[] = [];
  const manager = () => {
    const m = new WorkspacePoolManager({ failureThreshold: 1 });
    managers.push(m);
    return m;
  };

  beforeAll(async () => {
    const [good, wrongHost, expired] = await Promise.all([
      generateTlsCredentials({ hostNames: ['localhost'] }),
      generateTlsCredentials({ hostNames: ['db.example.test'] }),
      generateTlsCredentials({ hostNames: ['localhost'], notBefore: new Date(Date.now() - 400 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }),
    ]);
    ca = good.ca;
    const options: Record<keyof typeof emulators, EmulatorOptions> = {
      optional: { tls: good, databases: ['app'] },
      plaintext: { tls: false, databases: ['app'] },
      wrongHost: { tls: wrongHost, databases: ['app'] },
      expired: { tls: expired, databases: ['app'] },
    };
    const started = await Promise.all(Object.values(options).map((o) => startEmulator(o)));
    Object.keys(options).forEach((name, i) => {
      emulators[name as keyof typeof emulators] = started[i]!;
    });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close({ deadlineMs: 1000 })));
  });
  afterAll(async () => {
    await Promise.all(Object.values(emulators).map((e) => e.close()));
  });

  const target = (emulator: RunningEmulator, options: ConnectionTargetOptions): ConnectionTargetOf<'mssql'> => ({
    workspaceId: uniqueId('ws'),
    connectionId: 'c1',
    type: 'mssql',
    host: 'localhost',
    port: emulator.port,
    database: 'app',
    user: emulator.config.user,
    password: emulator.config.password,
    options,
  });

  it('required with the CA: the pool reports the TLS its connection negotiated, per pool and in metrics', async () => {
    const m = manager();
    const t = target(emulators.optional, { encryption: 'required', ca });
    await m.query(t, 'SELECT 1 AS one');
    const [pool] = m.stats().pools;
    expect(pool?.encryption).toBe('required');
    expect(pool?.tls).toMatchObject({ encrypted: true, protocol: 'TLSv1.2', authorized: true, certificate: { subject: 'CN=localhost', subjectAltNames: ['DNS:localhost'] } });
    expect(pool?.tls?.encrypted && pool.tls.certificate?.daysToExpiry).toBeGreaterThanOrEqual(363);

    const registry = new Registry();
    m.registerMetrics(registry);
    const text = await registry.metrics();
    expect(text).toMatch(new RegExp(`workspace_pool_pool_tls\\{workspace_id="${t.workspaceId}",connection_id="c1",type="mssql",encryption="required",protocol="TLSv1.2",cipher="[A-Z0-9_-]+",verified="true"\\} 1`));
    expect(text).toContain(`workspace_pool_pool_tls_certificate_expiry_timestamp_seconds{workspace_id="${t.workspaceId}",connection_id="c1",type="mssql"}`);
  });

  it('strict: TDS 8.0, TLS 1.3 with ALPN tds/8.0, and trustServerCertificate is refused as a setting', async () => {
    const m = manager();
    await m.query(target(emulators.optional, { encryption: 'strict', ca }), 'SELECT 1 AS one');
    expect(m.stats().pools[0]?.tls).toMatchObject({ encrypted: true, protocol: 'TLSv1.3', alpnProtocol: 'tds/8.0', authorized: true });

    const refused = await rejection(m.acquire(target(emulators.optional, { encryption: 'strict', trustServerCertificate: true })));
    expect(refused).toBeInstanceOf(PoolOptionsError);
    expect((refused as PoolOptionsError).field).toBe('target.options.trustServerCertificate');
  });

  it('a server that answers ENCRYPT_NOT_SUP is refused with ssl_required, and no login reaches it in plaintext', async () => {
    const plaintext = emulators.plaintext;
    const loginsSeen: string[] = [];
    plaintext.emulator.on('loginPacket', (event) => loginsSeen.push(event.encryption));
    const m = manager();
    const t = target(plaintext, { encryption: 'required' });
    const error = await rejection(m.acquire(t));
    expect(error).toBeInstanceOf(PoolCreateError);
    expect(error).toMatchObject({ securityViolation: 'ssl_required', transient: false });
    // Permanent: the circuit opens at once and later callers get the same reason.
    const again = await rejection(m.acquire(t));
    expect(again).toBeInstanceOf(CircuitOpenError);
    expect(((again as CircuitOpenError).cause as PoolCreateError).securityViolation).toBe('ssl_required');
    // Through the probe (the connection test) too, and by the older switch (`encrypt` unset = required).
    const probed = await rejection(probeTarget({ ...t, options: {} }));
    expect(probed).toBeInstanceOf(ProbeError);
    expect((probed as ProbeError).securityViolation).toBe('ssl_required');
    expect(plaintext.control.plaintextLoginCount).toBe(0);
    expect(loginsSeen).toEqual([]);

    // Off is an explicit choice: then, and only then, the login goes in plaintext.
    await m.query(target(plaintext, { encryption: 'off' }), 'SELECT 1 AS one');
    expect(m.stats().pools.find((p) => p.encryption === 'off')?.tls).toEqual({ encrypted: false });
    expect(plaintext.control.plaintextLoginCount).toBeGreaterThan(0);
  });

  it('a certificate for another host name is refused, unless the connection trusts the server certificate', async () => {
    const m = manager();
    const error = await rejection(m.acquire(target(emulators.wrongHost, { encryption: 'required', ca: emulators.wrongHost.tls!.caPem })));
    expect(error).toBeInstanceOf(PoolCreateError);
    expect((error as Error).message).toMatch(/Hostname\/IP does not match certificate's altnames/);

    await m.query(target(emulators.wrongHost, { encryption: 'required', trustServerCertificate: true }), 'SELECT 1 AS one');
    const trusted = m.stats().pools.find((p) => p.state === 'ready');
    expect(trusted?.tls).toMatchObject({ encrypted: true, authorized: false, certificate: { subjectAltNames: ['DNS:db.example.test'] } });
  });

  it('an expired certificate is refused, and the message says it expired', async () => {
    const expiredCa = emulators.expired.tls!.caPem;
    const error = await rejection(probeTarget({ type: 'mssql', host: 'localhost', port: emulators.expired.port, database: 'app', user: emulators.expired.config.user, password: emulators.expired.config.password, options: { encryption: 'required', ca: expiredCa } }));
    expect(error).toBeInstanceOf(ProbeError);
    expect((error as Error).message).toContain('certificate has expired');
  });

  it('the probe reports protocol, cipher, subject, issuer, SANs and days to expiry', async () => {
    const e = emulators.optional;
    const result = await probeTarget({ type: 'mssql', host: 'localhost', port: e.port, database: 'app', user: e.config.user, password: e.config.password, options: { encryption: 'required', ca } });
    expect(result.encrypted).toBe(true);
    expect(result.tls).toMatchObject({
      protocol: 'TLSv1.2',
      authorized: true,
      certificate: { subject: 'CN=localhost', issuer: 'CN=mssql-emulator throwaway CA, O=@studio/mssql-emulator', subjectAltNames: ['DNS:localhost'] },
    });
    expect(result.tls?.cipher).toMatch(/^ECDHE-RSA-AES/);
    expect(result.tls?.certificate?.daysToExpiry).toBe(Math.floor((Date.parse(result.tls!.certificate!.validTo) - Date.now()) / DAY_MS));
  });
});

describe('the mode of a connection saved before modes existed', () => {
  it('keeps what the older switch did, never checking less', () => {
    expect(encryptionModeOf('mssql', {})).toBe('required');
    expect(encryptionModeOf('mssql', { encrypt: false })).toBe('off');
    expect(encryptionModeOf('postgres', {})).toBe('disable');
    expect(encryptionModeOf('postgres', { encrypt: true })).toBe('verify-full');
    expect(encryptionModeOf('postgres', { encrypt: true, trustServerCertificate: true })).toBe('require');
    expect(encryptionModeOf('mysql', { encrypt: true })).toBe('verify-identity');
    expect(encryptionModeOf('mysql', { encrypt: true, trustServerCertificate: true })).toBe('required');
    expect(encryptionModeOf('postgres', { encrypt: false, encryption: 'verify-ca' })).toBe('verify-ca');
  });

  it('refuses a mode of another type, and a mode the older switch contradicts', async () => {
    const m = new WorkspacePoolManager();
    try {
      const base = { workspaceId: 'w', connectionId: 'c', type: 'postgres' as const, host: 'localhost', database: 'd', user: 'u', password: '' };
      const wrongType = await rejection(m.acquire({ ...base, options: { encryption: 'strict' } }));
      expect(wrongType).toMatchObject({ field: 'target.options.encryption' });
      expect((wrongType as Error).message).toContain('choose one of disable, require, verify-ca, verify-full');
      const contradicted = await rejection(m.acquire({ ...base, options: { encryption: 'verify-full', encrypt: false } }));
      expect(contradicted).toMatchObject({ field: 'target.options.encrypt' });
    } finally {
      await m.close();
    }
  });
});

const PG_URL = databaseUrl('PG_URL');
const MYSQL_URL = databaseUrl('MYSQL_URL');

// The machine's PostgreSQL and MariaDB run without TLS (ssl = off, have_ssl = DISABLED): exactly
// the server a connection that requires TLS must refuse. A server that offers TLS is covered by
// postgres-verify-full.test.ts (a throwaway cluster with ssl = on).
describe.skipIf(PG_URL === undefined)(`postgres without TLS${PG_URL === undefined ? ` (skipped: ${skipReason('PG_URL')})` : ''}`, () => {
  it.each(['require', 'verify-ca', 'verify-full'] as const)('%s is refused with ssl_required; disable connects in plaintext', async (encryption) => {
    const m = new WorkspacePoolManager();
    try {
      const t = (mode: ConnectionTargetOptions['encryption']) => targetFromUrl(PG_URL!, 'postgres', { workspaceId: uniqueId('ws'), connectionId: 'c1', options: { encryption: mode } });
      const error = await rejection(m.acquire(t(encryption)));
      expect(error).toMatchObject({ securityViolation: 'ssl_required', transient: false });
      const probed = await rejection(probeTarget(t(encryption)));
      expect((probed as ProbeError).securityViolation).toBe('ssl_required');
      await m.query(t('disable'), 'SELECT 1');
      expect(m.stats().pools.find((p) => p.encryption === 'disable')?.tls).toEqual({ encrypted: false });
    } finally {
      await m.close();
    }
  });
});

describe.skipIf(MYSQL_URL === undefined)(`mysql without TLS${MYSQL_URL === undefined ? ` (skipped: ${skipReason('MYSQL_URL')})` : ''}`, () => {
  it.each(['required', 'verify-identity'] as const)('%s is refused with ssl_required; off connects in plaintext', async (encryption) => {
    const m = new WorkspacePoolManager();
    try {
      const t = (mode: ConnectionTargetOptions['encryption']) => targetFromUrl(MYSQL_URL!, 'mysql', { workspaceId: uniqueId('ws'), connectionId: 'c1', options: { encryption: mode } });
      const error = await rejection(m.acquire(t(encryption)));
      expect(error).toMatchObject({ securityViolation: 'ssl_required', transient: false });
      const probed = await rejection(probeTarget(t(encryption)));
      expect((probed as ProbeError).securityViolation).toBe('ssl_required');
      await m.query(t('off'), 'SELECT 1');
      expect(m.stats().pools.find((p) => p.encryption === 'off')?.tls).toEqual({ encrypted: false });
    } finally {
      await m.close();
    }
  });
});
