// Encryption per connection through the API, against emulators with certificates a client must
// accept or refuse: the mode picked per type and validated, the CA checked on the way in, the
// test's tls step reporting what was negotiated, and no silent downgrade: a server that offers no
// TLS is refused by the test, the pool and every operation with security_violation / ssl_required,
// and its emulator never sees a login in plaintext.
import { generateTlsCredentials, startEmulator, type EmulatorOptions, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/routers/_app';
import { createOpenApiDocument } from '../src/rest/document';
import { collectRestRoutes } from '../src/rest/routes';
import { problemOf, useHarness, type Harness } from './support/harness';

const PASSWORD = 'Emulated-Tls-Passw0rd';
const DAY_MS = 86_400_000;
const target = testTargets[0]!;

type Name = 'secured' | 'expiringSoon' | 'plaintext' | 'wrongHost' | 'expired';
const emulators = {} as Record<Name, RunningEmulator>;

beforeAll(async () => {
  const [secured, soon, wrongHost, expired] = await Promise.all([
    generateTlsCredentials({ hostNames: ['127.0.0.1'] }),
    generateTlsCredentials({ hostNames: ['127.0.0.1'], notAfter: new Date(Date.now() + 10 * DAY_MS + 3_600_000) }),
    generateTlsCredentials({ hostNames: ['db.example.test'] }),
    generateTlsCredentials({ hostNames: ['127.0.0.1'], notBefore: new Date(Date.now() - 400 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }),
  ]);
  // Preloaded: the first login to a database opens its engine, which a test's deadline should not pay for.
  const base = { users: [{ user: 'app', password: PASSWORD }], databases: ['appdb'], preload: true };
  const options: Record<Name, EmulatorOptions> = {
    secured: { ...base, tls: secured },
    expiringSoon: { ...base, tls: soon },
    plaintext: { ...base, tls: false },
    wrongHost: { ...base, tls: wrongHost },
    expired: { ...base, tls: expired },
  };
  const started = await Promise.all(Object.values(options).map((o) => startEmulator(o)));
  (Object.keys(options) as Name[]).forEach((name, i) => {
    emulators[name] = started[i]!;
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(emulators).map((e) => e.close()));
});

describe(`connection encryption on ${target.name}`, () => {
  const h = useHarness(target);

  async function owner(harness: Harness) {
    const person = await harness.user('owner');
    const ws = await harness.workspace(person);
    return { ws, api: harness.caller(person.principal) };
  }

  const sqlServer = (emulator: RunningEmulator, options: Record<string, unknown>) => ({
    type: 'mssql' as const,
    host: '127.0.0.1',
    port: emulator.port,
    database: 'appdb',
    user: 'app',
    password: PASSWORD,
    options,
  });

  it('refuses a mode of another type, contradicting options and a CA that does not parse or has expired, naming the field', async () => {
    const { ws, api } = await owner(h);
    const create = (options: Record<string, unknown>, type: 'mssql' | 'postgres' = 'postgres') =>
      problemOf(api.connections.create({ workspaceId: ws.id, name: `c-${Math.random()}`, ...sqlServer(emulators.secured, options), type } as never));

    expect(await create({ encryption: 'strict' })).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { fields: [{ path: 'options.encryption' }] } });
    expect((await create({ encryption: 'strict' })).message).toContain('choose one of disable, require, verify-ca, verify-full');
    expect(await create({ encryption: 'verify-full', trustServerCertificate: true })).toMatchObject({ details: { fields: [{ path: 'options.trustServerCertificate' }] } });
    expect(await create({ encryption: 'disable', tls: true })).toMatchObject({ details: { fields: [{ path: 'options.tls' }] } });
    expect(await create({ encryption: 'strict', trustServerCertificate: true }, 'mssql')).toMatchObject({ details: { fields: [{ path: 'options.trustServerCertificate' }] } });

    const garbage = await create({ encryption: 'verify-full', ca: 'CA-1' });
    expect(garbage).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'options.ca', message: 'must be a PEM certificate (-----BEGIN CERTIFICATE----- …)' }] } });
    const expiredCa = (await generateTlsCredentials({ notBefore: new Date(Date.now() - 3 * DAY_MS), notAfter: new Date(Date.now() - 2 * DAY_MS) })).cert;
    const expired = await create({ encryption: 'verify-full', ca: expiredCa });
    expect(expired.details).toMatchObject({ fields: [{ path: 'options.ca' }] });
    expect(expired.message).toMatch(/options\.ca: the certificate \(CN=localhost\) expired on \d{4}-\d\d-\d\d/);

    // An update that changes the type must fit the stored mode as well.
    const saved = await api.connections.create({ workspaceId: ws.id, name: 'strict', ...sqlServer(emulators.secured, { encryption: 'strict' }) });
    const moved = await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: saved.id, type: 'postgres', port: 5432, password: PASSWORD }));
    expect(moved).toMatchObject({ error: 'invalid_input', details: { field: 'options.encryption' } });
  });

  it('shows the mode in force, also for connections saved with the older tls switch', async () => {
    const { ws, api } = await owner(h);
    const make = (name: string, type: 'mssql' | 'postgres' | 'mysql', options: Record<string, unknown>) =>
      api.connections.create({ workspaceId: ws.id, name, ...sqlServer(emulators.secured, options), type } as never);
    expect((await make('a', 'mssql', {})).encryption).toEqual({ mode: 'required', tlsRequired: true, certificateCheck: 'full' });
    expect((await make('b', 'mssql', { tls: false })).encryption).toEqual({ mode: 'off', tlsRequired: false, certificateCheck: 'none' });
    expect((await make('c', 'mssql', { tls: true, trustServerCertificate: true })).encryption).toEqual({ mode: 'required', tlsRequired: true, certificateCheck: 'none' });
    expect((await make('d', 'postgres', { tls: true })).encryption).toEqual({ mode: 'verify-full', tlsRequired: true, certificateCheck: 'full' });
    expect((await make('e', 'postgres', { encryption: 'verify-ca' })).encryption).toEqual({ mode: 'verify-ca', tlsRequired: true, certificateCheck: 'chain' });
    expect((await make('f', 'mysql', { encryption: 'required' })).encryption).toEqual({ mode: 'required', tlsRequired: true, certificateCheck: 'none' });
  });

  it('the tls step reports protocol, cipher, subject, issuer, SANs and days to expiry of what was negotiated', async () => {
    const { ws, api } = await owner(h);
    const ca = emulators.secured.tls!.caPem;
    const saved = await api.connections.create({ workspaceId: ws.id, name: 'secured', ...sqlServer(emulators.secured, { encryption: 'required', ca }) });
    expect(saved.options).toEqual({ encryption: 'required', ca });
    const tested = await api.connections.test({ workspaceId: ws.id, connectionId: saved.id });
    expect(tested.success).toBe(true);
    const tls = tested.steps.find((step) => step.name === 'tls');
    expect(tls).toMatchObject({
      ok: true,
      tls: {
        mode: 'required',
        protocol: 'TLSv1.2',
        authorized: true,
        certificate: { subject: 'CN=127.0.0.1', issuer: 'CN=mssql-emulator throwaway CA, O=@studio/mssql-emulator', subjectAltNames: ['IP Address:127.0.0.1'] },
      },
    });
    expect(tls?.tls?.cipher).toMatch(/^ECDHE-RSA-AES/);
    expect(tls?.tls?.certificate?.daysToExpiry).toBeGreaterThanOrEqual(363);
    expect(tls?.warning).toBeUndefined();

    // Kept with the connection as what was negotiated (never what was asked for), until the settings change.
    const shown = await api.connections.get({ workspaceId: ws.id, connectionId: saved.id });
    expect(shown.lastTls).toMatchObject({ mode: 'required', encrypted: true, protocol: 'TLSv1.2', authorized: true, certificate: { subject: 'CN=127.0.0.1', daysToExpiry: tls?.tls?.certificate?.daysToExpiry } });
    const changed = await api.connections.update({ workspaceId: ws.id, connectionId: saved.id, options: { encryption: 'strict', ca } });
    expect(changed.lastTls).toBeNull();

    // Strict: TDS 8.0 under TLS 1.3, ALPN tds/8.0.
    const strict = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(emulators.secured, { encryption: 'strict', ca }) });
    expect(strict.steps.find((step) => step.name === 'tls')?.tls).toMatchObject({ mode: 'strict', protocol: 'TLSv1.3', alpnProtocol: 'tds/8.0', authorized: true });
  });

  it('warns below 30 days to expiry, and when the certificate was not checked', async () => {
    const { ws, api } = await owner(h);
    const soon = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(emulators.expiringSoon, { encryption: 'required', ca: emulators.expiringSoon.tls!.caPem }) });
    expect(soon.success).toBe(true);
    const step = soon.steps.find((s) => s.name === 'tls');
    expect(step?.tls?.certificate?.daysToExpiry).toBe(10);
    expect(step?.warning).toBe('The server certificate expires in 10 days');

    const trusted = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(emulators.wrongHost, { encryption: 'required', trustServerCertificate: true }) });
    expect(trusted.success).toBe(true);
    expect(trusted.steps.find((s) => s.name === 'tls')).toMatchObject({ tls: { authorized: false }, warning: expect.stringContaining('The certificate was not checked') });
  });

  it('refuses a certificate for another host name, and an expired one with a message that says so', async () => {
    const { ws, api } = await owner(h);
    const wrongHost = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(emulators.wrongHost, { encryption: 'required', ca: emulators.wrongHost.tls!.caPem }) });
    expect(wrongHost).toMatchObject({ success: false, details: { reason: 'tls_failed' } });
    expect(wrongHost.message).toContain("IP: 127.0.0.1 is not in the cert's list");
    expect(wrongHost.steps.find((s) => s.name === 'tls')).toMatchObject({ ok: false });

    const expired = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(emulators.expired, { encryption: 'required', ca: emulators.expired.tls!.caPem }) });
    expect(expired).toMatchObject({ success: false, details: { reason: 'tls_failed' } });
    expect(expired.message).toContain('certificate has expired');
  });

  it('a server that offers no TLS: the test, the pool and every operation refuse with ssl_required; no login is sent in plaintext', async () => {
    const plaintext = emulators.plaintext;
    const before = plaintext.control.plaintextLoginCount;
    const { ws, api } = await owner(h);
    const saved = await api.connections.create({ workspaceId: ws.id, name: 'downgraded', ...sqlServer(plaintext, { encryption: 'required' }) });

    const tested = await api.connections.test({ workspaceId: ws.id, connectionId: saved.id });
    expect(tested).toMatchObject({ success: false, details: { reason: 'ssl_required', current_protocol: 'plain', database_type: 'mssql' } });
    expect(tested.message).toContain('the server does not offer TLS and this connection requires it');
    expect(tested.steps.map((s) => [s.name, s.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['tls', false],
      ['login', false],
      ['query', false],
    ]);

    const reset = await problemOf(api.connections.reset({ workspaceId: ws.id, connectionId: saved.id }));
    expect(reset).toMatchObject({ code: 'PRECONDITION_FAILED', error: 'security_violation', details: { reason: 'ssl_required', current_protocol: 'plain', database_type: 'mssql' } });
    const run = await problemOf(api.console.run({ workspaceId: ws.id, connectionId: saved.id, sql: 'SELECT 1 AS one' }));
    expect(run).toMatchObject({ error: 'security_violation', details: { reason: 'ssl_required', current_protocol: 'plain' } });

    const environment = await problemOf(
      api.environments.create({ workspaceId: ws.id, name: 'Production', connection: { host: '127.0.0.1', port: plaintext.port, database: 'appdb', user: 'app', password: PASSWORD } }),
    );
    expect(environment).toMatchObject({ code: 'PRECONDITION_FAILED', error: 'security_violation', details: { reason: 'ssl_required', current_protocol: 'plain' } });

    // Off, chosen explicitly, is the only way in; and only then does a login cross in plaintext.
    expect(plaintext.control.plaintextLoginCount).toBe(before);
    const off = await api.connections.testDraft({ workspaceId: ws.id, ...sqlServer(plaintext, { encryption: 'off' }) });
    expect(off.success).toBe(true);
    expect(off.steps.find((s) => s.name === 'tls')).toMatchObject({ skipped: true, warning: "Not encrypted: this connection's encryption setting is off, so nothing is encrypted, not even the login and its password" });
    expect(plaintext.control.plaintextLoginCount).toBe(before + 1);
  });

  it("the pool's status says what its connections negotiated", async () => {
    const { ws, api } = await owner(h);
    const saved = await api.connections.create({ workspaceId: ws.id, name: 'pooled', ...sqlServer(emulators.secured, { encryption: 'strict', ca: emulators.secured.tls!.caPem }) });
    await api.connections.reset({ workspaceId: ws.id, connectionId: saved.id });
    const status = await api.connections.status({ workspaceId: ws.id, connectionId: saved.id });
    expect(status.pool).toMatchObject({ encryption: 'strict', tls: { encrypted: true, protocol: 'TLSv1.3', alpnProtocol: 'tds/8.0', certificate: { subject: 'CN=127.0.0.1' } } });
  });

  it('weakening the mode needs the password again', async () => {
    const { ws, api } = await owner(h);
    const saved = await api.connections.create({ workspaceId: ws.id, name: 'pg', ...sqlServer(emulators.secured, { encryption: 'verify-full' }), type: 'postgres' });
    for (const [options, changed] of [
      [{ encryption: 'verify-ca' }, ['options.encryption']],
      [{ encryption: 'require' }, ['options.encryption']],
      [{ encryption: 'disable' }, ['options.encryption']],
    ] as const) {
      expect(await problemOf(api.connections.update({ workspaceId: ws.id, connectionId: saved.id, options }))).toMatchObject({ error: 'password_required', details: { changed } });
    }
    await expect(api.connections.update({ workspaceId: ws.id, connectionId: saved.id, options: { encryption: 'verify-full', poolSize: 3 } })).resolves.toMatchObject({ options: { poolSize: 3 } });
  });
});

describe('OpenAPI', () => {
  it('documents the encryption mode and the CA certificate of a connection', () => {
    const document = createOpenApiDocument(collectRestRoutes(appRouter), { version: 'v1' }) as unknown as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { properties?: Record<string, { description?: string; enum?: string[] }> }> } }> } }>>;
    };
    const create = document.paths['/api/v1/workspaces/{workspaceSlug}/connections']?.post?.requestBody?.content['application/json']?.schema;
    const options = create?.properties.options?.properties;
    expect(options?.encryption?.enum).toEqual(['off', 'required', 'strict', 'disable', 'require', 'verify-ca', 'verify-full', 'verify-identity']);
    expect(options?.encryption?.description).toContain('Every mode but off/disable refuses a server that does not offer TLS');
    expect(options?.ca?.description).toContain('must parse and be valid now');
  });
});
