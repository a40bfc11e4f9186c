/**
 * pnpm --filter @studio/mssql-emulator start -- [--port 1433] [--host 127.0.0.1] [--user sa]
 *   [--password Emulator-Passw0rd!] [--database master] [--data-dir DIR] [--preload]
 *   [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--tls-host NAME] [--tls-only | --tls-strict | --no-tls]
 *   [--tls-ca-out FILE] [--backend pglite|postgres --backend-url postgres://…]
 */
import '../../../tooling/node-version';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentialsFromFiles, type TlsCredentials } from './certificate';
import { DEFAULT_PASSWORD, DEFAULT_USER, startEmulator, type ServerEncryption } from './index';

const HELP = `Usage: mssql-emulator [options]
  --port N          TCP port (default 1433; 0 = any free port)
  --host H          interface (default 127.0.0.1)
  --user U          login name (default ${DEFAULT_USER})
  --password P      password (default ${DEFAULT_PASSWORD})
  --database D      database to create besides master; repeatable (default: master only)
  --data-dir DIR    persist databases under DIR (default: in memory)
  --preload         open every database at start instead of on first login
  --tls-cert FILE   PEM server certificate (with --tls-key); default: a throwaway CA signs one at start
  --tls-key FILE    PEM private key of --tls-cert
  --tls-ca FILE     PEM certificate clients should trust for --tls-cert (default: the certificate itself)
  --tls-host NAME   host name or IP address of the generated certificate; repeatable
                    (default localhost, 127.0.0.1, ::1)
  --tls-only        Force Encryption: answer ENCRYPT_REQ, refuse clients that cannot encrypt
  --tls-strict      Force Strict Encryption: TDS 8.0 (TLS first) clients only
  --no-tls          no certificate: answer ENCRYPT_NOT_SUP to everyone
  --tls-ca-out FILE where to write the CA certificate clients trust (default: a file in the temp folder)
  --backend B       where databases live: pglite (default, embedded) or postgres (a database per
                    emulated database on --backend-url, a server connection per session)
  --backend-url URL postgres://user:password@host:port/database (with --backend postgres)
  --help            this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      port: { type: 'string', default: '1433' },
      host: { type: 'string', default: '127.0.0.1' },
      user: { type: 'string', default: DEFAULT_USER },
      password: { type: 'string', default: DEFAULT_PASSWORD },
      database: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      preload: { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-host': { type: 'string', multiple: true },
      'tls-only': { type: 'boolean', default: false },
      'tls-strict': { type: 'boolean', default: false },
      'no-tls': { type: 'boolean', default: false },
      'tls-ca-out': { type: 'string' },
      backend: { type: 'string', default: 'pglite' },
      'backend-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer 0-65535, got '${values.port}'`);
    process.exitCode = 2;
    return;
  }
  const modes = (['tls-only', 'tls-strict', 'no-tls'] as const).filter((flag) => values[flag]);
  if (modes.length > 1) return usage(`choose one of --tls-only, --tls-strict, --no-tls (got ${modes.map((m) => `--${m}`).join(' ')})`);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) return usage('--tls-cert and --tls-key go together');
  if (values['no-tls'] && (values['tls-cert'] !== undefined || values['tls-host'] !== undefined)) return usage('--no-tls takes no certificate options');
  const encryption: ServerEncryption = values['tls-only'] ? 'forced' : values['tls-strict'] ? 'strict' : values['no-tls'] ? 'none' : 'optional';
  let tls: TlsCredentials | false | undefined = values['no-tls'] ? false : undefined;
  if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
    tls = credentialsFromFiles(values['tls-cert'], values['tls-key']);
    if (values['tls-ca'] !== undefined) tls.ca = readFileSync(values['tls-ca'], 'utf8');
  }
  if (values.backend !== 'pglite' && values.backend !== 'postgres') return usage(`--backend must be pglite or postgres, got '${values.backend}'`);
  if ((values.backend === 'postgres') !== (values['backend-url'] !== undefined)) return usage('--backend postgres and --backend-url go together');
  const databases = (values.database ?? []).flatMap((d) => d.split(',')).filter((d) => d !== '');
  const emulator = await startEmulator({
    port,
    host: values.host,
    users: [{ user: values.user, password: values.password }],
    databases,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    preload: values.preload,
    encryption,
    ...(tls !== undefined && { tls }),
    ...(values.backend === 'postgres' && { backend: 'postgres' as const, backendUrl: values['backend-url'] }),
    ...(values['tls-host'] !== undefined && { tlsHostNames: values['tls-host'].flatMap((h) => h.split(',')).filter((h) => h !== '') }),
  });
  console.log(`mssql-emulator listening on ${emulator.host}:${emulator.port}`);
  if (emulator.tls) {
    const caFile = values['tls-ca-out'] ?? join(tmpdir(), `mssql-emulator-${emulator.port}-ca.pem`);
    writeFileSync(caFile, emulator.tls.caPem);
    console.log(`  tls: ${encryption}; clients trust ${caFile}`);
  } else {
    console.log('  tls: none (every client stays in plaintext)');
  }
  console.log(`  url: ${emulator.url}`);
  const where = values.backend === 'postgres' ? ' (PostgreSQL databases, dropped at exit)' : values['data-dir'] ? ` (persisted in ${values['data-dir']})` : ' (in memory)';
  console.log(`  databases: ${emulator.emulator.databases.join(', ')}${where}`);
  const shutdown = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function usage(message: string): void {
  console.error(message);
  process.exitCode = 2;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
