/**
 * pnpm --filter @studio/mssql-emulator start -- [--port 1433] [--host 127.0.0.1] [--user sa]
 *   [--password Emulator-Passw0rd!] [--database master] [--data-dir DIR] [--preload]
 */
import '../../../tooling/node-version';
import { parseArgs } from 'node:util';
import { DEFAULT_PASSWORD, DEFAULT_USER, startEmulator } from './index';

const HELP = `Usage: mssql-emulator [options]
  --port N          TCP port (default 1433; 0 = any free port)
  --host H          interface (default 127.0.0.1)
  --user U          login name (default ${DEFAULT_USER})
  --password P      password (default ${DEFAULT_PASSWORD})
  --database D      database to create besides master; repeatable (default: master only)
  --data-dir DIR    persist databases under DIR (default: in memory)
  --preload         open every database at start instead of on first login
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
  const databases = (values.database ?? []).flatMap((d) => d.split(',')).filter((d) => d !== '');
  const emulator = await startEmulator({
    port,
    host: values.host,
    users: [{ user: values.user, password: values.password }],
    databases,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    preload: values.preload,
  });
  console.log(`mssql-emulator listening on ${emulator.host}:${emulator.port}`);
  console.log(`  url: ${emulator.url}`);
  console.log(`  databases: ${emulator.emulator.databases.join(', ')}${values['data-dir'] ? ` (persisted in ${values['data-dir']})` : ' (in memory)'}`);
  const shutdown = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
