/**
 * The benchmark's SQL Server: @studio/mssql-emulator in its own process (so the server does not
 * share the runner's event loop), with one emulated database per workspace.
 */
import { startEmulator } from '@studio/mssql-emulator';

const databases = (process.env.BENCH_DATABASES ?? '').split(',').filter((name) => name !== '');
const emulator = await startEmulator({ port: 0, databases });

process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});
process.send?.({ port: emulator.port });
