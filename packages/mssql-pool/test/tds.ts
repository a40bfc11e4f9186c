import { startEmulator } from '@studio/mssql-emulator';
import type { ConnectionTargetOf } from '../src/index';
import { uniqueId } from './helpers';

/** The SQL Server the tests talk to (@studio/mssql-emulator, in-process), with counters and faults. */
export interface TdsServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  target(overrides?: Partial<Omit<ConnectionTargetOf<'mssql'>, 'type'>>): ConnectionTargetOf<'mssql'>;
  /** Successful logins since start. */
  logins(): number;
  /** Login attempts, failed ones included. */
  loginAttempts(): number;
  /** Logged-in sessions right now, as the server counts them. */
  sessions(): number;
  /** Delay every request by `ms` before it runs. */
  setLatency(ms: number): void;
  /** Crash: stop listening and drop every session. */
  stop(): Promise<void>;
  /** Come back on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTdsServer(): Promise<TdsServer> {
  const user = 'pool_tester';
  const password = `Pw-${uniqueId('tds')}`;
  const emulator = await startEmulator({ port: 0, users: [{ user, password }], databases: ['app'] });
  const { control } = emulator;
  return {
    get port() {
      return emulator.port;
    },
    user,
    password,
    target: (overrides = {}) => ({
      workspaceId: uniqueId('ws'),
      connectionId: 'c1',
      type: 'mssql',
      host: emulator.host,
      port: emulator.port,
      database: 'app',
      user,
      password,
      ...overrides,
      options: { encrypt: false, ...overrides.options },
    }),
    logins: () => control.loginCount,
    loginAttempts: () => control.loginCount + control.failedLoginCount,
    sessions: () => control.sessionCount,
    setLatency: (ms) => control.setLatency(ms),
    stop: () => control.stop(),
    start: () => control.restart(),
    close: () => emulator.close(),
  };
}
