// FreeTDS's own client against Force Encryption: `tsql` with `encryption = require` and TDS 7.4
// negotiates TLS inside PRELOGIN, checks the certificate against its `ca file`, logs in inside TLS
// and runs a query; with a CA that did not sign the certificate it refuses before any login. With
// `encryption = request` and encryption not forced, only its login packet is encrypted.
// Needs FreeTDS's `tsql` (Debian: freetds-bin); under CI its absence fails the file.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTlsCredentials, startEmulator, type RunningEmulator, type SessionInfo } from '../src/index';

const TSQL = process.env.TSQL_PATH ?? 'tsql';
const tsqlFound = spawnSync(TSQL, ['-C'], { stdio: 'ignore' }).error === undefined;
const MISSING = `FreeTDS's ${TSQL} is not installed (apt-get install -y freetds-bin)`;
if (!tsqlFound && process.env.CI === 'true') throw new Error(`${MISSING}; CI runs this file, it must not be skipped`);

const USER = 'freetds';
const PASSWORD = 'Free-Tds-Passw0rd';

interface TsqlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(!tsqlFound)(`FreeTDS tsql (TDS 7.4)${tsqlFound ? '' : ` (skipped: ${MISSING})`}`, () => {
  let emulator: RunningEmulator;
  /** Encryption not forced (SQL Server's default with a certificate). */
  let optional: RunningEmulator;
  let dir: string;
  let otherCa: string;

  beforeAll(async () => {
    const [credentials, other] = await Promise.all([generateTlsCredentials({ hostNames: ['localhost'] }), generateTlsCredentials({ hostNames: ['localhost'] })]);
    otherCa = other.ca;
    dir = await mkdtemp(join(tmpdir(), 'emulator-freetds-'));
    await writeFile(join(dir, 'ca.pem'), credentials.ca);
    await writeFile(join(dir, 'other-ca.pem'), otherCa);
    const server = { tls: credentials, users: [{ user: USER, password: PASSWORD }], databases: ['app'], preload: true };
    [emulator, optional] = await Promise.all([startEmulator({ ...server, encryption: 'forced' }), startEmulator(server)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([emulator?.close(), optional?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs tsql against the emulator through a freetds.conf of its own (FREETDSCONF), `sql` on stdin. */
  async function tsql(caFile: string, sql: string, { server = emulator, encryption = 'require' } = {}): Promise<TsqlRun> {
    const conf = join(dir, `freetds-${server.port}-${encryption}-${caFile}.conf`);
    await writeFile(conf, ['[emulator]', '\thost = localhost', `\tport = ${server.port}`, '\ttds version = 7.4', `\tencryption = ${encryption}`, `\tca file = ${join(dir, caFile)}`, ''].join('\n'));
    return new Promise((resolve) => {
      const child = execFile(
        TSQL,
        ['-S', 'emulator', '-U', USER, '-P', PASSWORD, '-D', 'app'],
        // HOME too: a user's ~/.freetds.conf must not change what this test asks for.
        { env: { PATH: process.env.PATH ?? '', HOME: dir, LANG: 'C.UTF-8', FREETDSCONF: conf }, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
      child.stdin?.end(`${sql}\ngo\nexit\n`);
    });
  }

  it('logs in inside TLS with the CA in its ca file and runs a query; no password crossed in plaintext', async () => {
    const session = new Promise<SessionInfo>((resolve) => emulator.emulator.once('login', resolve));
    const run = await tsql('ca.pem', "SELECT N'inside TLS' AS v, 1 + 1 AS two");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/v\ttwo\ninside TLS\t2\n\(1 row affected\)/);
    expect(await session).toMatchObject({ login: USER, database: 'app', encryption: 'tls', tlsProtocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect(emulator.control.plaintextLoginCount).toBe(0);
  });

  it('refuses a server whose certificate its CA did not sign, before sending the login', async () => {
    const logins: SessionInfo[] = [];
    const onLogin = (info: SessionInfo) => logins.push(info);
    emulator.emulator.on('login', onLogin);
    try {
      const run = await tsql('other-ca.pem', 'SELECT 1');
      expect(run.code).not.toBe(0);
      expect(run.stdout).not.toMatch(/\(1 row affected\)/);
      expect(`${run.stdout}\n${run.stderr}`).toContain('Adaptive Server connection failed');
      expect(logins).toEqual([]);
      expect(emulator.control.plaintextLoginCount).toBe(0);
    } finally {
      emulator.emulator.off('login', onLogin);
    }
  });

  it('encryption = request (ENCRYPT_OFF) where encryption is not forced: only the login packet is encrypted, as SQL Server does', async () => {
    const session = new Promise<SessionInfo>((resolve) => optional.emulator.once('login', resolve));
    const run = await tsql('ca.pem', "SELECT N'after a TLS login' AS v", { server: optional, encryption: 'request' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/v\nafter a TLS login\n\(1 row affected\)/);
    expect(await session).toMatchObject({ login: USER, encryption: 'login-only' });
    expect(optional.control.plaintextLoginCount).toBe(0);
  });
});
