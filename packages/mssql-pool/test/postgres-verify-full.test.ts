// PostgreSQL's modes against a server that does offer TLS: a throwaway cluster (ssl = on, TLS-only
// password logins) whose certificate a throwaway CA signed for `localhost`. verify-full checks the
// chain and the host name, verify-ca the chain only, require nothing; what was negotiated is read
// from the socket. The machine's PostgreSQL binaries are needed: CI has them (a missing one fails
// there); elsewhere the tests are skipped, saying why.
import { generateTlsCredentials } from '@studio/mssql-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeError, WorkspacePoolManager, probeTarget, type ConnectionTargetOptions, type ProbeTarget } from '../src/index';
import { postgresBinaries, startTlsCluster, type PostgresCluster } from './postgres-cluster';
import { uniqueId } from './helpers';

const bin = postgresBinaries();
if (bin === undefined && process.env.CI === 'true') throw new Error('CI=true but no PostgreSQL binaries under /usr/lib/postgresql/*/bin: the TLS cluster tests cannot run');
const skipReason = 'no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install postgresql to run these)';

describe.skipIf(bin === undefined)(`PostgreSQL modes against a cluster with ssl = on${bin === undefined ? ` (skipped: ${skipReason})` : ''}`, () => {
  let cluster: PostgresCluster;
  let ca: string;
  let otherCa: string;

  beforeAll(async () => {
    const [credentials, other] = await Promise.all([generateTlsCredentials({ hostNames: ['localhost'] }), generateTlsCredentials({ hostNames: ['localhost'] })]);
    ca = credentials.ca;
    otherCa = other.ca;
    cluster = await startTlsCluster(bin!, credentials);
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  const target = (host: string, options: ConnectionTargetOptions): ProbeTarget => ({
    type: 'postgres',
    host,
    port: cluster.port,
    database: 'postgres',
    user: cluster.user,
    password: cluster.password,
    options,
  });

  it('verify-full with the CA: connects, and reports the TLS the session negotiated', async () => {
    const result = await probeTarget(target('localhost', { encryption: 'verify-full', ca }));
    expect(result.encrypted).toBe(true);
    expect(result.tls).toMatchObject({ protocol: 'TLSv1.3', authorized: true, certificate: { subject: 'CN=localhost', subjectAltNames: ['DNS:localhost'] } });
    expect(result.tls?.certificate?.daysToExpiry).toBeGreaterThanOrEqual(363);

    const manager = new WorkspacePoolManager();
    try {
      const pooled = { ...target('localhost', { encryption: 'verify-full', ca }), workspaceId: uniqueId('ws'), connectionId: 'c1' };
      const { rows } = await manager.query<{ ssl: boolean }>(pooled, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      // The server agrees: this session is encrypted.
      expect(rows).toEqual([{ ssl: true }]);
      expect(manager.stats().pools[0]).toMatchObject({ encryption: 'verify-full', tls: { encrypted: true, protocol: 'TLSv1.3', authorized: true } });
    } finally {
      await manager.close();
    }
  });

  it('verify-full refuses a host name the certificate does not name; verify-ca, which checks the chain only, accepts it', async () => {
    const refused = await probeTarget(target('127.0.0.1', { encryption: 'verify-full', ca })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProbeError);
    expect((refused as Error).message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);

    const chainOnly = await probeTarget(target('127.0.0.1', { encryption: 'verify-ca', ca }));
    expect(chainOnly.tls).toMatchObject({ authorized: true });
  });

  it('verify-full refuses a certificate from another CA; require encrypts without checking it', async () => {
    const refused = await probeTarget(target('localhost', { encryption: 'verify-full', ca: otherCa })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProbeError);
    expect((refused as Error).message).toMatch(/unable to verify the first certificate|self-signed certificate/);

    const unchecked = await probeTarget(target('localhost', { encryption: 'require' }));
    expect(unchecked.tls).toMatchObject({ protocol: 'TLSv1.3', authorized: false });
  });

  it('disable is refused by a server that takes password logins over TLS only', async () => {
    const refused = await probeTarget(target('localhost', { encryption: 'disable' })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProbeError);
    expect((refused as Error).message).toMatch(/no encryption/);
  });
});
