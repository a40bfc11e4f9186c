/**
 * @studio/mssql-emulator: a SQL Server test double that speaks TDS to the unmodified
 * `mssql`/`tedious` driver and executes a documented T-SQL subset on embedded PGlite, or on a
 * PostgreSQL server with a connection per session.
 */
import { type MssqlConfig, formatMssqlUrl } from './config';
import type { Control } from './control';
import { Emulator, type EmulatorOptions, type EmulatorTls } from './server';

export interface RunningEmulator {
  /** The bound TCP port. */
  readonly port: number;
  readonly host: string;
  /** mssql://<user>:<password>@<host>:<port>/<database> for the first user and database. */
  readonly url: string;
  /** An mssql config for the first user and database; default client options work. */
  readonly config: MssqlConfig;
  /** The PEM certificate clients verify (their `ca`), as `tls.caPem`; undefined without TLS. */
  readonly certificate: string | undefined;
  /** The encryption setting and certificates (`caPem` for clients); undefined with encryption `none`. */
  readonly tls: EmulatorTls | undefined;
  /** Fault injection and counters. */
  readonly control: Control;
  /** The server object itself (events: login, loginFailed, sessionClosed, listening, stopped). */
  readonly emulator: Emulator;
  /** A config for another user or database of this emulator. */
  configFor(overrides?: { user?: string; password?: string; database?: string }): MssqlConfig;
  /** Stops listening, drops connections, closes engines. Idempotent. */
  close(): Promise<void>;
}

/** Starts an emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  await emulator.start();
  const first = emulator.users[0] as { user: string; password: string; defaultDatabase?: string };
  const firstDatabase = first.defaultDatabase ?? (emulator.databases[0] as string);
  const configFor = (o: { user?: string; password?: string; database?: string } = {}): MssqlConfig => {
    const user = o.user ?? first.user;
    const known = emulator.users.find((u) => u.user === user);
    return {
      server: emulator.host,
      port: emulator.port,
      user,
      password: o.password ?? known?.password ?? '',
      database: o.database ?? firstDatabase,
    };
  };
  return {
    get port() {
      return emulator.port;
    },
    host: emulator.host,
    get url() {
      return formatMssqlUrl(configFor());
    },
    get config() {
      return configFor();
    },
    certificate: emulator.certificate,
    tls: emulator.tls,
    control: emulator.control,
    emulator,
    configFor,
    close: () => emulator.close(),
  };
}

/** An mssql config for an emulator (first user and database unless overridden). */
export function mssqlConfigFor(emulator: RunningEmulator, overrides?: { user?: string; password?: string; database?: string }): MssqlConfig {
  return emulator.configFor(overrides);
}

export { Emulator, EmulatorOptionsError, DEFAULT_DATABASE, DEFAULT_PASSWORD, DEFAULT_USER, PRODUCT_VERSION } from './server';
export type { EmulatorOptions, EmulatorUser, EmulatorEvents, EmulatorTls, EmulatorBackend } from './server';
export { BackendError } from './postgres';
export type { ServerEncryption } from './protocol/prelogin';
export { Control } from './control';
export type { FailRequestOptions, LoginRefusal, ControlEvents } from './control';
export type { SessionInfo, SessionEncryption, LoginPacketEvent } from './session';
export { parseMssqlUrl, formatMssqlUrl, MssqlUrlError } from './config';
export type { MssqlConfig } from './config';
export { SqlError, UNSUPPORTED_ERROR_NUMBER } from './errors';
export { generateCertificate, generateTlsCredentials, credentialsFromFiles, certificateFromEnvironment, CERT_FILE_ENV, KEY_FILE_ENV, DEFAULT_TLS_HOST_NAMES } from './certificate';
export type { TlsCredentials, GenerateTlsOptions } from './certificate';
