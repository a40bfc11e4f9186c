/**
 * The emulator: a TCP listener speaking TDS, the configured users and databases, one PGlite
 * engine per database (opened on first use), and the fault-injection controls.
 */
import { EventEmitter } from 'node:events';
import { type Server, type Socket, createServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import { DEFAULT_TLS_HOST_NAMES, type TlsCredentials, certificateFromEnvironment, generateTlsCredentials } from './certificate';
import { Control, type ControlEvents } from './control';
import { DatabaseEngine, type EngineInfo } from './engine';
import { type PostgresDatabase, PostgresBackend, parseBackendUrl } from './postgres';
import { SqlError } from './errors';
import type { Login7Request } from './protocol/login7';
import type { ServerEncryption } from './protocol/prelogin';
import { TDS7_TLS_VERSIONS, TDS8_TLS_VERSIONS } from './protocol/tls';
import { type LoginPacketEvent, type Session as SessionType, Session, type SessionHost, type SessionTls } from './session';

export const DEFAULT_USER = 'sa';
export const DEFAULT_PASSWORD = 'Emulator-Passw0rd!';
export const DEFAULT_DATABASE = 'master';
export const PRODUCT_VERSION = '16.0.4135.4';

export interface EmulatorUser {
  user: string;
  password: string;
  /** Databases this login may open; default: all. */
  databases?: string[];
  /** Database used when the client names none; default: the first configured database. */
  defaultDatabase?: string;
}

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Logins; default one user `sa` / `Emulator-Passw0rd!`. */
  users?: EmulatorUser[];
  /** Databases besides `master` (which always exists); the first one is the default database. */
  databases?: string[];
  /** Persist each database under `<dataDir>/<database>`; default: in memory. */
  dataDir?: string;
  /** Open every database's engine at start instead of on first login. */
  preload?: boolean;
  /** Name reported as @@SERVERNAME and in error tokens; default `mssql-emulator`. */
  serverName?: string;
  /**
   * The certificate presented to clients that encrypt (the driver's default). Default: the files
   * named by MSSQL_EMULATOR_TLS_CERT_FILE / MSSQL_EMULATOR_TLS_KEY_FILE when set, else a throwaway
   * CA and a server certificate it signed for `tlsHostNames`, made at start (`tls.caPem`).
   * `false`: no certificate, as `encryption: 'none'`.
   */
  tls?: TlsCredentials | false;
  /**
   * How encryption is negotiated, as SQL Server's settings: `optional` (default; what the client
   * asks for, ENCRYPT_OFF encrypting the login packet only), `forced` (Force Encryption: ENCRYPT_REQ),
   * `strict` (Force Strict Encryption: TDS 8.0 only), `none` (ENCRYPT_NOT_SUP to everyone).
   * TDS 8.0 clients are served in every mode but `none`.
   */
  encryption?: ServerEncryption;
  /**
   * Host names and IP addresses of the generated server certificate; default localhost, 127.0.0.1,
   * ::1. Given, a certificate is generated for them even when the run-wide files are set.
   */
  tlsHostNames?: string[];
  /**
   * Where the emulated databases live: `pglite` (default) embeds one PGlite instance per database,
   * whose single connection serialises every session; `postgres` creates one PostgreSQL database
   * per emulated database on the server at `backendUrl` (dropped at close) and gives each session
   * a server connection of its own, so sessions run concurrently under PostgreSQL's locking.
   */
  backend?: EmulatorBackend;
  /** postgres://user:password@host:port/database of a server where the role may CREATE DATABASE; with backend `postgres` only. */
  backendUrl?: string;
}

export type EmulatorBackend = 'pglite' | 'postgres';

const KNOWN_OPTIONS = new Set(['port', 'host', 'users', 'databases', 'dataDir', 'preload', 'serverName', 'tls', 'encryption', 'tlsHostNames', 'backend', 'backendUrl']);
const ENCRYPTION_MODES: readonly ServerEncryption[] = ['optional', 'forced', 'strict', 'none'];

/** What the emulator presents to clients that encrypt. */
export interface EmulatorTls {
  /** The encryption setting in force. */
  readonly encryption: ServerEncryption;
  /** PEM certificate a client trusts to verify the server (its `ca`): the issuing CA, or the certificate itself when self-signed. */
  readonly caPem: string;
  /** PEM server certificate presented in the handshake. */
  readonly certPem: string;
}

/** Options were malformed (unknown key, bad port, duplicate user...). */
export class EmulatorOptionsError extends Error {
  readonly code = 'EOPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorOptionsError';
  }
}

interface NormalisedOptions {
  port: number;
  host: string;
  users: EmulatorUser[];
  databases: string[];
  dataDir: string | undefined;
  preload: boolean;
  serverName: string;
  tls: TlsCredentials | false | undefined;
  encryption: ServerEncryption;
  tlsHostNames: string[] | undefined;
  backend: EmulatorBackend;
  backendUrl: URL | undefined;
}

function normalise(options: EmulatorOptions): NormalisedOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new EmulatorOptionsError(`unknown option '${key}'`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EmulatorOptionsError(`port must be an integer 0-65535, got ${String(options.port)}`);
  const databases = [...(options.databases ?? [])];
  for (const d of databases) {
    if (typeof d !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$#@-]{0,127}$/.test(d)) throw new EmulatorOptionsError(`invalid database name '${String(d)}'`);
  }
  const all = databases.some((d) => d.toLowerCase() === DEFAULT_DATABASE) ? databases : [...databases, DEFAULT_DATABASE];
  const users = options.users ?? [{ user: DEFAULT_USER, password: DEFAULT_PASSWORD }];
  if (users.length === 0) throw new EmulatorOptionsError('at least one user is required');
  const seen = new Set<string>();
  for (const u of users) {
    if (!u || typeof u.user !== 'string' || u.user === '' || typeof u.password !== 'string') {
      throw new EmulatorOptionsError('each user needs a non-empty `user` and a `password` string');
    }
    if (seen.has(u.user.toLowerCase())) throw new EmulatorOptionsError(`duplicate user '${u.user}'`);
    seen.add(u.user.toLowerCase());
    for (const d of [...(u.databases ?? []), ...(u.defaultDatabase ? [u.defaultDatabase] : [])]) {
      if (!all.some((x) => x.toLowerCase() === d.toLowerCase())) throw new EmulatorOptionsError(`user '${u.user}' refers to unknown database '${d}'`);
    }
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    // Copied: ALTER LOGIN changes a password here, never in the caller's objects.
    users: users.map((u) => ({ ...u })),
    databases: all,
    dataDir: options.dataDir,
    preload: options.preload ?? false,
    serverName: options.serverName ?? 'mssql-emulator',
    tls: normaliseTls(options.tls),
    encryption: normaliseEncryption(options),
    tlsHostNames: normaliseHostNames(options.tlsHostNames),
    ...normaliseBackend(options),
  };
}

function normaliseBackend(options: EmulatorOptions): { backend: EmulatorBackend; backendUrl: URL | undefined } {
  const backend = options.backend ?? 'pglite';
  if (backend !== 'pglite' && backend !== 'postgres') throw new EmulatorOptionsError(`backend must be 'pglite' or 'postgres', got '${String(backend)}'`);
  if (backend === 'pglite') {
    if (options.backendUrl !== undefined) throw new EmulatorOptionsError("backendUrl is for backend 'postgres'");
    return { backend, backendUrl: undefined };
  }
  if (typeof options.backendUrl !== 'string' || options.backendUrl === '') throw new EmulatorOptionsError("backend 'postgres' needs backendUrl (postgres://user:password@host:port/database)");
  if (options.dataDir !== undefined) throw new EmulatorOptionsError("dataDir is for backend 'pglite'; with 'postgres' the databases live on the server and are dropped at close");
  try {
    return { backend, backendUrl: parseBackendUrl(options.backendUrl) };
  } catch (e) {
    throw new EmulatorOptionsError(e instanceof Error ? e.message : String(e));
  }
}

function normaliseTls(tls: EmulatorOptions['tls']): TlsCredentials | false | undefined {
  if (tls === undefined || tls === false) return tls;
  if (typeof tls !== 'object' || tls === null || typeof tls.key !== 'string' || typeof tls.cert !== 'string' || (tls.ca !== undefined && typeof tls.ca !== 'string')) {
    throw new EmulatorOptionsError('tls must be false or { key, cert, ca? } PEM strings');
  }
  return { key: tls.key, cert: tls.cert, ...(tls.ca !== undefined && { ca: tls.ca }) };
}

function normaliseEncryption(options: EmulatorOptions): ServerEncryption {
  const encryption = options.encryption ?? (options.tls === false ? 'none' : 'optional');
  if (!ENCRYPTION_MODES.includes(encryption)) throw new EmulatorOptionsError(`encryption must be one of ${ENCRYPTION_MODES.join(', ')}, got '${String(encryption)}'`);
  if (options.tls === false && encryption !== 'none') throw new EmulatorOptionsError(`encryption '${encryption}' needs a certificate; tls: false means encryption 'none'`);
  return encryption;
}

function normaliseHostNames(names: EmulatorOptions['tlsHostNames']): string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '' || /\s/.test(n))) {
    throw new EmulatorOptionsError('tlsHostNames must be a non-empty list of host names or IP addresses');
  }
  return [...names];
}

export interface EmulatorEvents extends ControlEvents {
  listening: [port: number];
  stopped: [];
  /** Every LOGIN7 as it arrives, with how it travelled (before it is checked). */
  loginPacket: [event: LoginPacketEvent];
}

export class Emulator extends EventEmitter<EmulatorEvents> implements SessionHost {
  readonly control: Control;
  readonly serverName: string;
  readonly version = { major: 16, minor: 0, build: 4135 };
  readonly versionString: string;
  private readonly opts: NormalisedOptions;
  private readonly engines = new Map<string, Promise<DatabaseEngine>>();
  /** Backend `postgres`: the server, its databases, and each session's engines (one connection per session and database). */
  private readonly postgres: PostgresBackend | undefined;
  private readonly postgresDatabases = new Map<string, Promise<PostgresDatabase>>();
  private readonly sessionEngines = new Map<number, Map<string, Promise<DatabaseEngine>>>();
  private readonly sessions = new Set<Session>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private boundPort = 0;
  private nextSpid = 51;
  private closed = false;
  private tlsState: { settings: SessionTls; info: EmulatorTls | undefined } | undefined;

  constructor(options: EmulatorOptions = {}) {
    super();
    this.opts = normalise(options);
    this.serverName = this.opts.serverName;
    this.postgres = this.opts.backendUrl === undefined ? undefined : new PostgresBackend(this.opts.backendUrl);
    this.versionString =
      `Microsoft SQL Server 2022 (RTM) - ${PRODUCT_VERSION} (X64) (emulated by @studio/mssql-emulator on ${this.postgres ? 'PostgreSQL' : 'PGlite'})\n` +
      '\tDeveloper Edition (64-bit) on Linux (@studio/mssql-emulator) <X64>';
    this.control = new Control(this);
  }

  /** The bound port (after start()). */
  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.opts.host;
  }

  /** Where the emulated databases live. */
  get backend(): EmulatorBackend {
    return this.opts.backend;
  }

  get databases(): readonly string[] {
    return this.opts.databases;
  }

  get users(): readonly EmulatorUser[] {
    return this.opts.users;
  }

  /** Listening, and not stopped through control.stop(). */
  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  get liveSessions(): Session[] {
    return [...this.sessions].filter((s) => s.loggedIn);
  }

  /** How sessions negotiate encryption (SessionHost); set by start(). */
  get sessionTls(): SessionTls {
    return this.tlsState?.settings ?? { mode: 'none', tds7: undefined, tds8: undefined };
  }

  /** The encryption setting and certificates; undefined with encryption `none` (or before start()). */
  get tls(): EmulatorTls | undefined {
    return this.tlsState?.info;
  }

  /** The PEM certificate clients verify (their `ca`), as `tls.caPem`; undefined without TLS. */
  get certificate(): string | undefined {
    return this.tlsState?.info?.caPem;
  }

  async start(): Promise<void> {
    if (this.closed) throw new EmulatorOptionsError('the emulator was closed');
    if (!this.tlsState) {
      const mode = this.opts.encryption;
      if (mode === 'none') {
        this.tlsState = { settings: { mode, tds7: undefined, tds8: undefined }, info: undefined };
      } else {
        // Host names asked for are a certificate of their own: the run-wide one covers the defaults only.
        const supplied = this.opts.tls || (this.opts.tlsHostNames === undefined ? certificateFromEnvironment() : undefined);
        const credentials = supplied ?? (await generateTlsCredentials({ hostNames: this.opts.tlsHostNames ?? DEFAULT_TLS_HOST_NAMES }));
        const pem = { key: credentials.key, cert: credentials.cert };
        this.tlsState = {
          settings: { mode, tds7: createSecureContext({ ...pem, ...TDS7_TLS_VERSIONS }), tds8: createSecureContext({ ...pem, ...TDS8_TLS_VERSIONS }) },
          info: { encryption: mode, caPem: credentials.ca ?? credentials.cert, certPem: credentials.cert },
        };
      }
    }
    await this.listen(this.opts.port);
    if (!this.opts.preload) return;
    try {
      await Promise.all(this.opts.databases.map((d) => (this.postgres ? this.openPostgresDatabase(d) : this.openEngine(d, 0))));
    } catch (error) {
      // A half-started emulator must not keep a listener (and the caller's process) alive.
      await this.close();
      throw error;
    }
  }

  /** Binds the listener (again) — used by start() and control.restart(). */
  async listen(port: number): Promise<void> {
    if (this.server?.listening) return;
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen({ port, host: this.opts.host, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', () => undefined);
    this.server = server;
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.emit('listening', this.boundPort);
  }

  /** Closes the listener and every connection; engines (and their data) stay. */
  async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await this.killAll();
    await closed;
    this.emit('stopped');
  }

  /** Destroys every connection; returns how many logged-in sessions were killed. */
  async killAll(): Promise<number> {
    const live = this.liveSessions.length;
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([...this.sessions].map((s) => s.close()));
    return live;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const spid = this.nextSpid++;
    if (this.nextSpid > 32000) this.nextSpid = 51;
    const session = new Session(spid, socket, this);
    this.sessions.add(session);
  }

  // SessionHost -------------------------------------------------------------------------------

  authenticate(login: Login7Request): { ok: true; database: string } | { ok: false; errors: SqlError[] } {
    const failed = (message = `Login failed for user '${login.userName}'.`) => new SqlError({ number: 18456, class: 14, state: 1, message });
    if (login.integratedSecurity || login.userName === '') {
      return { ok: false, errors: [failed("Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.")] };
    }
    const user = this.opts.users.find((u) => u.user.toLowerCase() === login.userName.toLowerCase());
    if (!user || user.password !== login.password) return { ok: false, errors: [failed()] };
    const requested = login.database || user.defaultDatabase || this.opts.databases[0] || DEFAULT_DATABASE;
    const database = this.opts.databases.find((d) => d.toLowerCase() === requested.toLowerCase());
    if (!database || !this.canAccess(user.user, database)) {
      return {
        ok: false,
        errors: [
          new SqlError({ number: 4060, class: 11, state: 1, message: `Cannot open database "${requested}" requested by the login. The login failed.` }),
          failed(),
        ],
      };
    }
    return { ok: true, database };
  }

  canAccess(login: string, database: string): boolean {
    const user = this.opts.users.find((u) => u.user.toLowerCase() === login.toLowerCase());
    if (!user) return false;
    if (!this.opts.databases.some((d) => d.toLowerCase() === database.toLowerCase())) return false;
    return !user.databases || user.databases.some((d) => d.toLowerCase() === database.toLowerCase());
  }

  /**
   * SQL Server's rule: changing another login's password needs ALTER ANY LOGIN (here: the `sa`
   * login), changing one's own needs OLD_PASSWORD. Every refusal is 15151, which does not say
   * whether the login exists. Sessions already logged in stay; the next login needs the new one.
   */
  alterLoginPassword(caller: string, change: { login: string; password: string; oldPassword?: string | undefined }, line: number): void {
    const user = this.opts.users.find((u) => u.user.toLowerCase() === change.login.toLowerCase());
    const privileged = caller.toLowerCase() === DEFAULT_USER;
    const own = user !== undefined && user.user.toLowerCase() === caller.toLowerCase();
    const permitted = user !== undefined && (privileged || (own && change.oldPassword === user.password));
    if (!permitted) {
      throw new SqlError({ number: 15151, class: 16, state: 1, message: `Cannot alter the login '${change.login}', because it does not exist or you do not have permission.`, line });
    }
    user.password = change.password;
  }

  /**
   * The engine session `spid` runs `database` on: with PGlite the database's one engine, shared;
   * with PostgreSQL one of the session's own, over its own server connection.
   */
  openEngine(database: string, spid: number): Promise<DatabaseEngine> {
    const name = this.opts.databases.find((d) => d.toLowerCase() === database.toLowerCase());
    if (!name) return Promise.reject(new SqlError({ number: 911, message: `Database '${database}' does not exist.` }));
    if (this.postgres) return this.openSessionEngine(name, spid);
    let engine = this.engines.get(name);
    if (!engine) {
      const dataDir = this.opts.dataDir === undefined ? undefined : `${this.opts.dataDir.replace(/\/$/, '')}/${name}`;
      engine = DatabaseEngine.open(name, this.engineInfo(), dataDir);
      engine.catch(() => this.engines.delete(name));
      this.engines.set(name, engine);
    }
    return engine;
  }

  private engineInfo(): EngineInfo {
    return { serverName: this.serverName, productVersion: PRODUCT_VERSION, databases: () => [...this.opts.databases] };
  }

  private openPostgresDatabase(name: string): Promise<PostgresDatabase> {
    const backend = this.postgres as PostgresBackend;
    let database = this.postgresDatabases.get(name);
    if (!database) {
      database = backend.provision(name, this.engineInfo());
      database.catch(() => this.postgresDatabases.delete(name));
      this.postgresDatabases.set(name, database);
    }
    return database;
  }

  private openSessionEngine(name: string, spid: number): Promise<DatabaseEngine> {
    let mine = this.sessionEngines.get(spid);
    if (!mine) {
      mine = new Map();
      this.sessionEngines.set(spid, mine);
    }
    let engine = mine.get(name);
    if (!engine) {
      const owned = mine;
      engine = this.openPostgresDatabase(name).then((d) => d.openEngine());
      engine.catch(() => owned.delete(name));
      mine.set(name, engine);
    }
    return engine;
  }

  /** Closes the server connections a session opened (its #temp tables go with them). */
  private async closeSessionEngines(spid: number): Promise<void> {
    const mine = this.sessionEngines.get(spid);
    if (!mine) return;
    this.sessionEngines.delete(spid);
    await Promise.all([...mine.values()].map(async (p) => (await p.catch(() => undefined))?.close()));
  }

  beforeResponse(): Promise<void> {
    return this.control.beforeResponse();
  }

  beforeRequest(session: Session, countable: boolean): Promise<'run' | 'fail' | 'close'> {
    return this.control.beforeRequest(session, countable);
  }

  injectedError(): SqlError {
    return this.control.injectedError();
  }

  refusesLogins(): 'no' | 'error' | 'close' {
    return this.control.loginRefusal();
  }

  onLogin(session: SessionType): void {
    this.control.recordLogin();
    this.emit('login', session.info());
  }

  onLoginFailed(login: string, reason: string): void {
    this.control.recordFailedLogin();
    this.emit('loginFailed', login, reason);
  }

  onLoginPacket(event: LoginPacketEvent): void {
    this.control.recordLoginPacket(event);
    this.emit('loginPacket', event);
  }

  onClose(session: SessionType): void {
    this.sessions.delete(session);
    void this.closeSessionEngines(session.spid);
    this.emit('sessionClosed', session.spid);
  }

  /** Stops listening, drops every connection and closes every engine. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.control.dispose();
    await this.stopListening();
    const engines = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(
      engines.map(async (p) => {
        try {
          await (await p).close();
        } catch {
          // An engine that failed to open has nothing to close.
        }
      }),
    );
    await this.postgres?.close();
  }
}
