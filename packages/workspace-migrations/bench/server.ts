/**
 * The benchmark's SQL Server: @studio/mssql-emulator in its own process (so the server does not
 * share the runner's event loop), with one emulated database per workspace: on PGlite, or on the
 * PostgreSQL server at BENCH_BACKEND_URL (one connection per session, see the emulator's README).
 */
import { startEmulator } from '@studio/mssql-emulator';

const databases = (process.env.BENCH_DATABASES ?? '').split(',').filter((name) => name !== '');
const backendUrl = process.env.BENCH_BACKEND_URL;
const emulator = await startEmulator({ port: 0, databases, ...(backendUrl ? { backend: 'postgres' as const, backendUrl } : {}) });

process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});
process.send?.({ port: emulator.port });
