// "Test connection" (MISSION F2/F3): dns → tcp → tls → login → query against a workspace database,
// each step timed, the whole run bounded by one deadline. The login opens a single driver
// connection of its own (never the cached pool: a test must not replace or warm the pool, and a
// bad password must not open the pool's circuit). No tRPC here; the routers turn a failed result
// into the F10 shape.
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions, ConnectionType } from '@studio/db/schema';
import { connectSocket, loginReasonOf } from '@studio/mssql-pool';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Connection as TediousConnection, Request as TediousRequest } from 'tedious';
import type { OutboundPolicy } from './outbound-policy';

export type TestStepName = 'dns' | 'tcp' | 'tls' | 'login' | 'query';

export interface TestStep {
  name: TestStepName;
  ok: boolean;
  ms: number;
  /** The step did not apply (e.g. tls on a plaintext connection); `ok` is then true. */
  skipped?: boolean;
  error?: string;
}

export type TestFailureReason =
  | 'authentication_failed'
  | 'database_not_found'
  | 'host_unreachable'
  | 'connection_refused'
  | 'timeout'
  | 'tls_failed'
  | 'dns_failed'
  | 'outbound_refused'
  | 'query_failed'
  | 'connection_failed';

export interface ConnectionTestResult {
  success: boolean;
  message: string;
  latencyMs: number;
  serverVersion: string | null;
  steps: TestStep[];
  details: { reason: 'ok' | TestFailureReason; database_type: ConnectionType; error_code: string | null };
}

/** What a test connects to: a saved connection's decrypted settings or unsaved draft parameters. */
export interface ConnectionTestTarget {
  type: ConnectionType;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  options: ConnectionOptions;
}

export interface ConnectionTestOptions {
  /** Overall deadline; the result is a `timeout` failure if the steps have not finished by then. */
  deadlineMs?: number | undefined;
}

export const DEFAULT_TEST_DEADLINE_MS = 5_000;
/** The longest a connection's own connect timeout may stretch a test (CONNECTION_TEST_MAX_TIMEOUT_MS). */
export const DEFAULT_TEST_MAX_DEADLINE_MS = 60_000;

/** A classified failure of one step. `message` is shown to the caller: never a credential. */
class StepFailure extends Error {
  constructor(
    readonly reason: TestFailureReason,
    message: string,
    readonly errorCode: string | null,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

class DeadlineReached extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineReached';
  }
}

const NETWORK_REASONS: Record<string, TestFailureReason> = {
  ECONNREFUSED: 'connection_refused',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  EHOSTDOWN: 'host_unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'connection_failed',
  ENOTFOUND: 'dns_failed',
  EAI_AGAIN: 'dns_failed',
};

const TLS_PATTERN = /certificate|self[- ]signed|\bSSL\b|\bTLS\b|handshake|ERR_TLS|DEPTH_ZERO|UNABLE_TO_VERIFY/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Network-level errors common to every driver. */
function networkFailure(error: unknown): StepFailure | undefined {
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown }).cause);
  const reason = code ? NETWORK_REASONS[code] : undefined;
  if (reason && code) return new StepFailure(reason, messageOf(error), code);
  if (TLS_PATTERN.test(messageOf(error))) return new StepFailure('tls_failed', messageOf(error), code ?? 'ETLS');
  return undefined;
}

/** SQL Server sends 4060 (cannot open database) before 18456 (login failed): the first is the reason. */
function mssqlFailure(error: unknown, loginNumbers: number[]): StepFailure {
  const e = error as { code?: unknown; number?: unknown; originalError?: { number?: unknown; info?: { number?: unknown } } };
  const direct = [e.number, e.originalError?.number, e.originalError?.info?.number].find((n): n is number => typeof n === 'number');
  const number = loginNumbers.find((n) => loginReasonOf(n) === 'database_not_found') ?? direct ?? loginNumbers.at(-1);
  const message = messageOf(error);
  // tedious' ELOGIN error drops the number when no ERROR token was seen; its text still says so.
  const reason = loginReasonOf(number) ?? (codeOf(error) === 'ELOGIN' && message.startsWith('Login failed') ? 'authentication_failed' : undefined);
  if (reason !== undefined) return new StepFailure(reason, message, reason === 'authentication_failed' && number === undefined ? '18456' : String(number));
  if (codeOf(error) === 'ETIMEOUT') return new StepFailure('timeout', message, 'ETIMEOUT');
  return networkFailure(error) ?? new StepFailure('connection_failed', message, number !== undefined ? String(number) : (codeOf(error) ?? null));
}

function pgFailure(error: unknown): StepFailure {
  const code = codeOf(error);
  const reason = code ? loginReasonOf(code) : undefined;
  if (reason && code) return new StepFailure(reason, messageOf(error), code);
  if (/timeout/i.test(messageOf(error))) return new StepFailure('timeout', messageOf(error), 'ETIMEOUT');
  return networkFailure(error) ?? new StepFailure('connection_failed', messageOf(error), code ?? null);
}

function mysqlFailure(error: unknown): StepFailure {
  const errno = (error as { errno?: unknown }).errno;
  const reason = typeof errno === 'number' ? loginReasonOf(errno) : undefined;
  if (reason) return new StepFailure(reason, messageOf(error), String(errno));
  return networkFailure(error) ?? new StepFailure('connection_failed', messageOf(error), typeof errno === 'number' ? String(errno) : (codeOf(error) ?? null));
}

/** One open test session: login done, can run the version query, must be closed. */
interface TestSession {
  /** Whether the session is encrypted (undefined: the driver does not say). */
  encrypted: boolean | undefined;
  /** ms spent on the TLS handshake inside the login, when the driver reports it. */
  tlsMs: number | undefined;
  version(timeoutMs: number): Promise<string>;
  close(): void;
}

interface LoginParams {
  target: ConnectionTestTarget;
  /** The address the dns step vetted: the login connects there, never resolving the host again. */
  address: string;
  timeoutMs: number;
  /** Aborted at the deadline: the login must tear its socket down. */
  signal: AbortSignal;
}

function loginMssql({ target, address, timeoutMs, signal }: LoginParams): Promise<TestSession> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let tlsMs: number | undefined;
    const loginNumbers: number[] = [];
    const connection = new TediousConnection({
      server: target.host,
      authentication: { type: 'default', options: { userName: target.user, password: target.password ?? '' } },
      options: {
        port: target.port,
        database: target.database,
        encrypt: target.options.tls ?? true,
        trustServerCertificate: target.options.trustServerCertificate ?? false,
        ...(target.options.ca !== undefined && { cryptoCredentialsDetails: { ca: target.options.ca } }),
        connectTimeout: Math.max(1, Math.floor(timeoutMs)),
        appName: 'studio-connection-test',
        // `server` stays the host name (login packet, SNI, certificate check); the socket goes to the vetted address.
        connector: (_options?: unknown, _lookup?: unknown, connectSignal?: AbortSignal) => connectSocket(address, target.port, connectSignal),
      },
    });
    const close = () => connection.close();
    signal.addEventListener('abort', close, { once: true });
    // Socket errors after login come as 'error' events; an unlistened 'error' would crash the process.
    connection.on('error', () => undefined);
    connection.on('errorMessage', (token: { number?: number }) => {
      if (typeof token.number === 'number') loginNumbers.push(token.number);
    });
    connection.on('secure', () => {
      tlsMs = performance.now() - started;
    });
    connection.connect((error) => {
      if (error) {
        signal.removeEventListener('abort', close);
        connection.close();
        reject(mssqlFailure(error, loginNumbers));
        return;
      }
      resolve({
        encrypted: tlsMs !== undefined,
        tlsMs,
        version: (requestTimeoutMs) =>
          new Promise<string>((resolveVersion, rejectVersion) => {
            let version = '';
            const request = new TediousRequest('SELECT @@VERSION AS version', (requestError) => {
              if (requestError) rejectVersion(new StepFailure('query_failed', messageOf(requestError), codeOf(requestError) ?? null));
              else resolveVersion(version);
            });
            request.setTimeout(Math.max(1, Math.floor(requestTimeoutMs)));
            request.on('row', (columns: { value: unknown }[]) => {
              version = String(columns[0]?.value ?? '');
            });
            connection.execSql(request);
          }),
        close: () => {
          signal.removeEventListener('abort', close);
          connection.close();
        },
      });
    });
  });
}

async function loginPostgres({ target, address, timeoutMs, signal }: LoginParams): Promise<TestSession> {
  const tls = target.options.tls === true;
  const client = new pg.Client({
    host: address,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password ?? '',
    connectionTimeoutMillis: Math.max(1, Math.floor(timeoutMs)),
    // The version query is bounded by the deadline race as well; this keeps pg from waiting on.
    query_timeout: Math.max(1, Math.floor(timeoutMs)),
    application_name: 'studio-connection-test',
    ...(tls && {
      ssl: {
        rejectUnauthorized: target.options.trustServerCertificate !== true,
        // SNI and the certificate check stay on the host name (none for an IP literal, RFC 6066).
        ...(isIP(target.host) === 0 && { servername: target.host }),
        ...(target.options.ca !== undefined && { ca: target.options.ca }),
      },
    }),
  });
  // pg emits 'error' for a connection lost after connect; without a listener that would crash.
  client.on('error', () => undefined);
  const end = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', end, { once: true });
  try {
    await client.connect();
  } catch (error) {
    signal.removeEventListener('abort', end);
    end();
    throw pgFailure(error);
  }
  return {
    encrypted: tls,
    tlsMs: undefined,
    async version() {
      try {
        const result = await client.query<{ version: string }>('select version() as version');
        return result.rows[0]?.version ?? '';
      } catch (error) {
        throw new StepFailure('query_failed', messageOf(error), codeOf(error) ?? null);
      }
    },
    close() {
      signal.removeEventListener('abort', end);
      end();
    },
  };
}

async function loginMysql({ target, address, timeoutMs, signal }: LoginParams): Promise<TestSession> {
  const tls = target.options.tls === true;
  let connection: mysql.Connection | undefined;
  let aborted = false;
  const destroy = () => {
    aborted = true;
    connection?.destroy();
  };
  signal.addEventListener('abort', destroy, { once: true });
  try {
    connection = await mysql.createConnection({
      // The socket goes to the vetted address; `host` stays the name TLS checks.
      stream: tcpConnect({ host: address, port: target.port }),
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password ?? '',
      connectTimeout: Math.max(1, Math.floor(timeoutMs)),
      ...(tls && { ssl: { rejectUnauthorized: target.options.trustServerCertificate !== true, ...(target.options.ca !== undefined && { ca: target.options.ca }) } }),
    });
  } catch (error) {
    signal.removeEventListener('abort', destroy);
    throw mysqlFailure(error);
  }
  const opened = connection;
  opened.on('error', () => undefined);
  if (aborted) opened.destroy();
  return {
    encrypted: tls,
    tlsMs: undefined,
    async version(requestTimeoutMs) {
      try {
        const [rows] = await opened.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS version', timeout: Math.max(1, Math.floor(requestTimeoutMs)) });
        return String(rows[0]?.version ?? '');
      } catch (error) {
        throw new StepFailure('query_failed', messageOf(error), codeOf(error) ?? null);
      }
    },
    close() {
      signal.removeEventListener('abort', destroy);
      void opened.end().catch(() => opened.destroy());
    },
  };
}

const logins: Record<ConnectionType, (params: LoginParams) => Promise<TestSession>> = {
  mssql: loginMssql,
  postgres: loginPostgres,
  mysql: loginMysql,
};

function tcpProbe(address: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ host: address, port });
    const abort = () => socket.destroy();
    signal.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      reject(networkFailure(error) ?? new StepFailure('connection_failed', error.message, codeOf(error) ?? null));
    });
  });
}

/** Runs `operation`, rejecting with DeadlineReached as soon as `signal` aborts (the operation tears itself down). */
function untilDeadline<T>(operation: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    operation.catch(() => undefined);
    return Promise.reject(new DeadlineReached());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineReached());
    signal.addEventListener('abort', onAbort, { once: true });
    operation.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export class ConnectionTester {
  constructor(
    private readonly outboundPolicy: OutboundPolicy,
    readonly defaultDeadlineMs: number = DEFAULT_TEST_DEADLINE_MS,
    readonly maxDeadlineMs: number = DEFAULT_TEST_MAX_DEADLINE_MS,
  ) {}

  /**
   * The call's own deadline, else the default stretched to the connection's longer connect timeout
   * (a slow-to-wake server must be testable with the setting it will be used with), capped by the
   * server's maximum.
   */
  deadlineOf(target: ConnectionTestTarget, options: ConnectionTestOptions = {}): number {
    if (options.deadlineMs !== undefined) return options.deadlineMs;
    const connectTimeoutMs = target.options.connectTimeoutMs;
    return connectTimeoutMs === undefined ? this.defaultDeadlineMs : Math.min(Math.max(connectTimeoutMs, this.defaultDeadlineMs), this.maxDeadlineMs);
  }

  async run(target: ConnectionTestTarget, options: ConnectionTestOptions = {}): Promise<ConnectionTestResult> {
    const deadlineMs = this.deadlineOf(target, options);
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadlineMs);
    const steps: TestStep[] = [];
    const remaining = () => Math.max(1, deadlineMs - (performance.now() - started));
    const finish = (result: Omit<ConnectionTestResult, 'latencyMs' | 'steps' | 'details'> & { reason: ConnectionTestResult['details']['reason']; errorCode: string | null }): ConnectionTestResult => ({
      success: result.success,
      message: result.message,
      latencyMs: Math.round(performance.now() - started),
      serverVersion: result.serverVersion,
      steps,
      details: { reason: result.reason, database_type: target.type, error_code: result.errorCode },
    });

    let current: TestStepName = 'dns';
    let stepStarted = performance.now();
    const begin = (name: TestStepName) => {
      current = name;
      stepStarted = performance.now();
    };
    const pass = (extra: Partial<TestStep> = {}) => steps.push({ name: current, ok: true, ms: Math.round(performance.now() - stepStarted), ...extra });

    let session: TestSession | undefined;
    try {
      begin('dns');
      const decision = await untilDeadline(this.outboundPolicy.check(target.host), controller.signal);
      if (!decision.allowed) {
        throw decision.reason === 'dns_failed'
          ? new StepFailure('dns_failed', decision.message, 'ENOTFOUND')
          : new StepFailure('outbound_refused', decision.message, decision.reason);
      }
      pass();
      const address = decision.addresses[0] ?? target.host;

      begin('tcp');
      await untilDeadline(tcpProbe(address, target.port, controller.signal), controller.signal);
      pass();

      // TLS is negotiated inside the login (TDS PRELOGIN, PostgreSQL SSLRequest, MySQL handshake),
      // so the tls step is reported from what the login saw.
      begin('login');
      const loginStarted = stepStarted;
      try {
        session = await untilDeadline(logins[target.type]({ target, address, timeoutMs: remaining(), signal: controller.signal }), controller.signal);
      } catch (error) {
        if (error instanceof StepFailure && error.reason === 'tls_failed') current = 'tls';
        throw error;
      }
      const loginMs = Math.round(performance.now() - loginStarted);
      if (session.encrypted) {
        steps.push({ name: 'tls', ok: true, ms: Math.round(session.tlsMs ?? 0) });
      } else {
        steps.push({ name: 'tls', ok: true, ms: 0, skipped: true });
      }
      steps.push({ name: 'login', ok: true, ms: Math.max(0, loginMs - Math.round(session.tlsMs ?? 0)) });

      begin('query');
      const serverVersion = (await untilDeadline(session.version(remaining()), controller.signal)).trim();
      pass();
      const latency = Math.round(performance.now() - started);
      return finish({
        success: true,
        message: `Connected to ${target.host}:${target.port}/${target.database} in ${latency} ms`,
        serverVersion: serverVersion || null,
        reason: 'ok',
        errorCode: null,
      });
    } catch (error) {
      const failure =
        error instanceof DeadlineReached || controller.signal.aborted
          ? new StepFailure('timeout', `No answer within ${deadlineMs} ms (${current} step)`, 'ETIMEOUT')
          : error instanceof StepFailure
            ? error
            : new StepFailure('connection_failed', messageOf(error), codeOf(error) ?? null);
      steps.push({ name: current, ok: false, ms: Math.round(performance.now() - stepStarted), error: failure.message });
      return finish({ success: false, message: failure.message, serverVersion: null, reason: failure.reason, errorCode: failure.errorCode });
    } finally {
      clearTimeout(timer);
      session?.close();
    }
  }
}
