/**
 * The benchmark's SQL Server: @studio/mssql-emulator in its own process, so the server does not
 * share the client's event loop. One login per workspace (u0..uN): mssql-multi-pool keys its cache
 * by user@server;database, so distinct users give it one pool per workspace as distinct tenant
 * databases would, without one PGlite engine per database.
 */
import { startEmulator } from '@studio/mssql-emulator';

const USERS = 1500;
const password = 'Bench-Passw0rd!';
const users = Array.from({ length: USERS }, (_, i) => ({ user: `u${i}`, password }));
const emulator = await startEmulator({ port: 0, users, databases: ['app'], preload: true });

process.on('message', (raw) => {
  const message = raw as { id: number; cmd: 'logins' | 'sessions' };
  const value = message.cmd === 'logins' ? emulator.control.loginCount : emulator.control.sessionCount;
  process.send?.({ id: message.id, value });
});
process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});
process.send?.({ port: emulator.port, users: USERS, password, database: 'app' });
