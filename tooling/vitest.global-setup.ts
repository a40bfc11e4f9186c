// Once per vitest run, before any worker starts: one TLS certificate that every TDS emulator of
// the run presents, made trusted by every test process the way a private CA is trusted on a
// machine (NODE_EXTRA_CA_CERTS, read by each process at start, so the CLIs the tests spawn
// inherit it). The SQL Server clients then keep the driver's defaults: encrypt, and verify.
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CERT_FILE_ENV, KEY_FILE_ENV, generateCertificate } from '../packages/mssql-emulator/src/certificate';

export default async function provisionEmulatorTls(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'studio-test-tls-'));
  const { key, cert } = await generateCertificate('mssql-emulator (test run)');
  const certFile = join(dir, 'emulator.crt');
  const keyFile = join(dir, 'emulator.key');
  const caFile = join(dir, 'extra-ca.pem');
  await writeFile(certFile, cert);
  await writeFile(keyFile, key, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  // Keep whatever extra CAs the caller already trusts.
  const inherited = process.env.NODE_EXTRA_CA_CERTS ? await readFile(process.env.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '') : '';
  await writeFile(caFile, `${inherited.trimEnd()}\n${cert}`.trimStart());
  process.env.NODE_EXTRA_CA_CERTS = caFile;
  process.env[CERT_FILE_ENV] = certFile;
  process.env[KEY_FILE_ENV] = keyFile;
  // At exit rather than at teardown: vitest may still start a process after its teardown, and a
  // Node process warns when NODE_EXTRA_CA_CERTS names a missing file.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}
