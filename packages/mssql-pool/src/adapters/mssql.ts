import { performance } from 'node:perf_hooks';
import mssql from 'mssql';
import { Connection as TediousConnection, Request as TediousRequest } from 'tedious';
import type { DriverErrorInfo } from '../errors';
import { loginReasonOf } from '../login-reasons';
import type { ResolvedTarget } from '../target';
import { negotiatedTlsOf, securityViolationOf, type ChannelSecurity } from '../tls';
import { ProbeError, wholeMs, type ProbeHooks, type ProbeResult, type ProbeStep } from './probe';
import { connectSocket } from './socket';
import { DriverTimeoutError, withTimeout } from './timeout';
import type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings, QueryParams, QueryResult } from './types';

/** The login ERROR token tedious saw before it failed; tedious' own ELOGIN error drops the number. */
const LOGIN_ERROR_NUMBER = Symbol('loginErrorNumber');

/** Azure throttling / failover numbers tedious itself treats as transient at login. */
const TRANSIENT_LOGIN_NUMBERS = new Set([40197, 40501, 40613, 10928, 10929, 49918, 49919, 49920]);
const CONNECTION_LOST_CODES = new Set(['ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'ECONNREFUSED', 'ENOTOPEN', 'ECLOSE', 'EPIPE']);

/**
 * The bits of tarn's pool we touch to cut borrowed connections on a forced close (tarn's own
 * destroy waits for them forever).
 */
interface TarnInternals {
  used: Array<{ resource: { close(): void } }>;
}

function tarnOf(pool: mssql.ConnectionPool): TarnInternals | undefined {
  return (pool as unknown as { pool?: TarnInternals | null }).pool ?? undefined;
}

function safeCount(read: () => number): number {
  try {
    return read();
  } catch {
    // node-mssql's counters throw once the pool is closed.
    return 0;
  }
}

/** tedious's options for the target's encryption mode. */
function tediousTlsOptions(target: ResolvedTarget) {
  const t = target.tls;
  return {
    // `strict`: TDS 8.0, where tedious always verifies the certificate.
    encrypt: t.strict ? ('strict' as const) : t.required,
    ...(t.required && !t.strict && { trustServerCertificate: t.verify === 'none' }),
    ...(target.ca !== undefined && { cryptoCredentialsDetails: { ca: target.ca } }),
  };
}

/**
 * Reports what a tedious connection negotiated once it has logged in: TDS 7.x TLS comes with a
 * 'secure' event; under strict there is none and the connection's own socket is the TLS socket
 * (`socket` is tedious-internal; there is no public accessor).
 */
function watchTls(connection: TediousConnection, onTls: (tls: ChannelSecurity) => void): void {
  let secured: ChannelSecurity | undefined;
  connection.on('secure', (cleartext) => {
    const negotiated = negotiatedTlsOf(cleartext);
    if (negotiated) secured = { encrypted: true, ...negotiated };
  });
  connection.on('connect', (error) => {
    if (error) return;
    const strict = secured === undefined ? negotiatedTlsOf((connection as unknown as { socket?: unknown }).socket) : undefined;
    onTls(secured ?? (strict ? { encrypted: true, ...strict } : { encrypted: false }));
  });
}

class MssqlDriverPool implements DriverPool<mssql.ConnectionPool> {
  readonly native: mssql.ConnectionPool;
  readonly #seen: { tls: ChannelSecurity | undefined };
  #closing: Promise<void> | undefined;

  constructor(pool: mssql.ConnectionPool, seen: { tls: ChannelSecurity | undefined }) {
    this.native = pool;
    this.#seen = seen;
  }

  get tls(): ChannelSecurity | undefined {
    return this.#seen.tls;
  }

  get size(): number {
    return safeCount(() => this.native.size);
  }
  get borrowed(): number {
    return safeCount(() => this.native.borrowed);
  }
  get idle(): number {
    return safeCount(() => this.native.available);
  }
  get waiters(): number {
    return safeCount(() => this.native.pending);
  }

  async query<Row>(sql: string, params?: QueryParams): Promise<QueryResult<Row>> {
    const request = this.native.request();
    if (params !== undefined) {
      if (Array.isArray(params)) {
        for (let i = 0; i < params.length; i++) request.input(`p${i + 1}`, params[i]);
      } else {
        for (const [name, value] of Object.entries(params)) request.input(name, value);
      }
    }
    const result = await request.query<Row>(sql);
    const rows = (result.recordset as Row[] | undefined) ?? [];
    const affected = result.rowsAffected.reduce((sum, n) => sum + n, 0);
    return { rows, rowCount: affected > 0 ? affected : rows.length };
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.native.request().query('SELECT 1'), timeoutMs, () => new DriverTimeoutError(`health check timed out after ${timeoutMs} ms`));
  }

  close(): Promise<void> {
    this.#closing ??= this.native.close().then(() => undefined);
    return this.#closing;
  }

  async destroy(): Promise<void> {
    const closing = this.close();
    const tarn = tarnOf(this.native);
    for (const used of [...(tarn?.used ?? [])]) used.resource.close();
    await closing;
  }
}

function connectorOf(addressOf: () => Promise<string>, port: number) {
  return async (_options?: unknown, _lookup?: unknown, signal?: AbortSignal) => connectSocket(await addressOf(), port, signal);
}

/** SQL Server sends 4060 (cannot open database) before 18456 (login failed): the first is the reason. */
function loginErrorCode(error: unknown, loginNumbers: number[]): string | undefined {
  const e = (error ?? {}) as { code?: unknown; number?: unknown; message?: unknown };
  const number = loginNumbers.find((n) => loginReasonOf(n) === 'database_not_found') ?? (typeof e.number === 'number' ? e.number : loginNumbers.at(-1));
  if (number !== undefined) return String(number);
  // tedious' ELOGIN error drops the number when no ERROR token was seen; its text still says so.
  if (e.code === 'ELOGIN' && typeof e.message === 'string' && e.message.startsWith('Login failed')) return '18456';
  return typeof e.code === 'string' ? e.code : undefined;
}

/** One tedious connection (node-mssql would wrap it in a pool), so the login's TLS time and error tokens are seen. */
function probeMssql(target: ResolvedTarget, hooks: ProbeHooks): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let tlsMs: number | undefined;
    let channel: ChannelSecurity = { encrypted: false };
    const loginNumbers: number[] = [];
    let step: ProbeStep = 'login';
    const connection = new TediousConnection({
      server: target.host,
      authentication: { type: 'default', options: { userName: target.user, password: target.password.reveal() } },
      options: {
        port: target.port,
        database: target.database,
        ...tediousTlsOptions(target),
        connectTimeout: wholeMs(target.connectTimeoutMs),
        requestTimeout: wholeMs(target.requestTimeoutMs),
        appName: 'studio-connection-test',
        ...(target.readOnlyIntent && { readOnlyIntent: true }),
        ...(hooks.addressOf !== undefined && { connector: connectorOf(hooks.addressOf, target.port) }),
      },
    });
    const signal = hooks.signal;
    const close = () => connection.close();
    const fail = (error: ProbeError) => {
      signal?.removeEventListener('abort', onAbort);
      connection.close();
      reject(error);
    };
    const onAbort = () => fail(new ProbeError(step, signal?.reason ?? new Error('probe aborted')));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // Socket errors after login come as 'error' events; an unlistened 'error' would crash the process.
    connection.on('error', () => undefined);
    connection.on('errorMessage', (token: { number?: number }) => {
      if (typeof token.number === 'number') loginNumbers.push(token.number);
    });
    connection.on('secure', () => {
      tlsMs = performance.now() - started;
    });
    watchTls(connection, (seen) => {
      channel = seen;
    });
    connection.connect((error) => {
      if (error) {
        fail(new ProbeError('login', error, loginErrorCode(error, loginNumbers)));
        return;
      }
      const loginMs = performance.now() - started;
      step = 'query';
      const tls = channel.encrypted ? channel : undefined;
      hooks.onLogin?.({ encrypted: channel.encrypted, tls, tlsMs, loginMs });
      let serverVersion = '';
      const request = new TediousRequest('SELECT @@VERSION AS version', (requestError) => {
        if (requestError) {
          fail(new ProbeError('query', requestError));
          return;
        }
        signal?.removeEventListener('abort', onAbort);
        close();
        resolve({ serverVersion: serverVersion.trim(), encrypted: channel.encrypted, tls, tlsMs, loginMs, queryMs: performance.now() - started - loginMs });
      });
      request.on('row', (columns: { value: unknown }[]) => {
        serverVersion = String(columns[0]?.value ?? '');
      });
      connection.execSql(request);
    });
  });
}

export const mssqlAdapter: DriverAdapter<mssql.ConnectionPool> = {
  type: 'mssql',

  async create(target: ResolvedTarget, settings: DriverPoolSettings, hooks: DriverHooks) {
    let loginErrorNumber: number | undefined;
    const seen: { tls: ChannelSecurity | undefined } = { tls: undefined };
    const config: mssql.config = {
      server: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      connectionTimeout: target.connectTimeoutMs,
      requestTimeout: target.requestTimeoutMs,
      validateConnection: settings.validateConnection,
      pool: {
        max: target.poolSize,
        min: 0,
        idleTimeoutMillis: settings.connectionIdleTimeoutMs,
        acquireTimeoutMillis: settings.acquireTimeoutMs,
        createTimeoutMillis: target.connectTimeoutMs + 1000,
      },
      options: {
        appName: 'studio-mssql-pool',
        ...(target.readOnlyIntent && { readOnlyIntent: true }),
        ...tediousTlsOptions(target),
        // Every connection goes to the address vetted just before it; `server` stays the host
        // name, so the login packet, SNI and certificate check all see the name.
        ...(hooks.addressOf !== undefined && { connector: connectorOf(hooks.addressOf, target.port) }),
      },
      beforeConnect: (connection) => {
        connection.on('errorMessage', (token: { number?: number }) => {
          loginErrorNumber = token.number;
        });
        watchTls(connection, (tls) => {
          seen.tls = tls;
        });
      },
    };
    // node-mssql reads config.password on every new connection; non-enumerable keeps it out of
    // util.inspect(pool) and JSON.stringify(pool.config).
    Object.defineProperty(config, 'password', { value: target.password.reveal(), enumerable: false, writable: false });

    const pool = new mssql.ConnectionPool(config);
    // node-mssql re-emits non-socket tedious errors and every failed acquire as 'error';
    // without a listener that is an uncaught exception (node-mssql #849).
    pool.on('error', (error: unknown) => hooks.onError(error));
    try {
      await pool.connect();
    } catch (error) {
      if (error !== null && typeof error === 'object' && loginErrorNumber !== undefined) {
        Object.defineProperty(error, LOGIN_ERROR_NUMBER, { value: loginErrorNumber, enumerable: false });
      }
      throw error;
    }
    return new MssqlDriverPool(pool, seen);
  },

  classify(error: unknown): DriverErrorInfo {
    const e = (error ?? {}) as {
      code?: unknown;
      number?: unknown;
      name?: unknown;
      message?: unknown;
      originalError?: { isTransient?: unknown };
      [LOGIN_ERROR_NUMBER]?: number;
    };
    const driverCode = typeof e.code === 'string' ? e.code : undefined;
    let number = typeof e.number === 'number' ? e.number : e[LOGIN_ERROR_NUMBER];
    const securityViolation = securityViolationOf(error);
    if (securityViolation !== undefined) return { number, sqlState: undefined, driverCode, transient: false, connectionLost: false, securityViolation };
    if (driverCode === 'ELOGIN') {
      if (number === undefined && typeof e.message === 'string' && e.message.startsWith('Login failed')) number = 18456;
      const transient = (number !== undefined && TRANSIENT_LOGIN_NUMBERS.has(number)) || e.originalError?.isTransient === true;
      return { number, sqlState: undefined, driverCode, transient: transient && loginReasonOf(number) === undefined, connectionLost: false };
    }
    if (e.name === 'TimeoutError' || e.name === 'DriverTimeoutError') {
      return { number, sqlState: undefined, driverCode: driverCode ?? 'ETIMEOUT', transient: true, connectionLost: e.name === 'DriverTimeoutError' };
    }
    const connectionLost =
      (driverCode !== undefined && CONNECTION_LOST_CODES.has(driverCode)) || (e.name === 'ConnectionError' && driverCode !== 'EINSTLOOKUP');
    return { number, sqlState: undefined, driverCode, transient: connectionLost || driverCode === 'ETIMEOUT', connectionLost };
  },

  probe: probeMssql,
};
