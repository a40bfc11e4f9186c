import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import type { DriverErrorInfo } from '../errors';
import { loginReasonOf } from '../login-reasons';
import type { ResolvedTarget } from '../target';
import { negotiatedTlsOf, securityViolationOf, type ChannelSecurity } from '../tls';
import { ProbeError, wholeMs, type ProbeHooks, type ProbeResult } from './probe';
import { deferredSocket } from './socket';
import { DriverTimeoutError, withTimeout } from './timeout';
import type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings, QueryParams, QueryResult } from './types';

/** ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, CR_SERVER_GONE_ERROR, CR_SERVER_LOST. */
const TRANSIENT_ERRNOS = new Set([1040, 1053, 2006, 2013]);
const CONNECTION_LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ETIMEOUT',
]);

/** mysql2 exposes no public counters; these are its pool's own queues. */
interface CoreConnection {
  threadId: number | null;
  destroy(): void;
}
interface CorePoolInternals {
  _allConnections: { length: number; get(i: number): CoreConnection };
  _freeConnections: { length: number; get(i: number): CoreConnection };
  _connectionQueue: { length: number };
  _closed: boolean;
  config: { connectionConfig: Record<string, unknown> };
}

/** What a connected mysql2 connection negotiated: after the SSL upgrade its stream is the TLS socket. */
function channelOf(connection: unknown): ChannelSecurity {
  const negotiated = negotiatedTlsOf((connection as { stream?: unknown } | undefined)?.stream);
  return negotiated ? { encrypted: true, ...negotiated } : { encrypted: false };
}

class MysqlDriverPool implements DriverPool<mysql.Pool> {
  readonly native: mysql.Pool;
  readonly #core: CorePoolInternals;
  readonly #seen: { tls: ChannelSecurity | undefined };
  #closing: Promise<void> | undefined;
  #finishClose: (() => void) | undefined;

  constructor(pool: mysql.Pool, seen: { tls: ChannelSecurity | undefined }) {
    this.native = pool;
    this.#core = pool.pool as unknown as CorePoolInternals;
    this.#seen = seen;
  }

  get tls(): ChannelSecurity | undefined {
    return this.#seen.tls;
  }

  get size(): number {
    return this.#core._allConnections.length;
  }
  get borrowed(): number {
    return this.#core._allConnections.length - this.#core._freeConnections.length;
  }
  get idle(): number {
    return this.#core._freeConnections.length;
  }
  get waiters(): number {
    return this.#core._connectionQueue.length;
  }

  async query<Row>(sql: string, params?: QueryParams): Promise<QueryResult<Row>> {
    if (params !== undefined && !Array.isArray(params)) {
      throw new TypeError('mysql queries take positional parameters (?): pass an array');
    }
    const [result] = await this.native.query(sql, params as unknown[] | undefined);
    if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
    return { rows: [], rowCount: (result as { affectedRows?: number }).affectedRows ?? 0 };
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.native.query('SELECT 1'), timeoutMs, () => new DriverTimeoutError(`health check timed out after ${timeoutMs} ms`));
  }

  close(): Promise<void> {
    // mysql2's end() cuts borrowed connections too, so wait for them to come back first.
    this.#closing ??= new Promise<void>((resolve) => {
      const finish = () => {
        this.native.pool.off('release', tryEnd);
        this.#finishClose = undefined;
        resolve(this.native.end().catch(() => undefined));
      };
      const tryEnd = () => {
        if (this.borrowed === 0 || this.#core._closed) finish();
      };
      this.#finishClose = finish;
      this.native.pool.on('release', tryEnd);
      tryEnd();
    });
    return this.#closing;
  }

  async destroy(): Promise<void> {
    const core = this.#core;
    const free = new Set<CoreConnection>();
    for (let i = 0; i < core._freeConnections.length; i++) free.add(core._freeConnections.get(i));
    const busy: CoreConnection[] = [];
    for (let i = 0; i < core._allConnections.length; i++) {
      const connection = core._allConnections.get(i);
      if (!free.has(connection)) busy.push(connection);
    }
    // The server keeps running a statement after its socket is gone; KILL QUERY stops it.
    if (busy.length > 0) await withTimeout(this.#killQueries(busy), 5000, () => new DriverTimeoutError('KILL QUERY timed out')).catch(() => undefined);
    for (const connection of busy) connection.destroy();
    if (!core._closed) await this.native.end().catch(() => undefined);
    // A graceful close() may be waiting for releases that will never come now.
    this.#finishClose?.();
    await this.close();
  }

  async #killQueries(connections: CoreConnection[]): Promise<void> {
    const c = this.#core.config.connectionConfig as { host?: string; port?: number; user?: string; password?: string; database?: string; ssl?: unknown; stream?: unknown };
    const killer = await mysql.createConnection({
      ...(c.stream !== undefined && { stream: c.stream }),
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      ...(c.ssl ? { ssl: c.ssl as mysql.ConnectionOptions['ssl'] } : {}),
    });
    killer.on('error', () => undefined);
    try {
      for (const connection of connections) {
        if (connection.threadId !== null) await killer.query(`KILL QUERY ${Number(connection.threadId)}`).catch(() => undefined);
      }
    } finally {
      killer.destroy();
    }
  }
}

/**
 * The MySQL client's --ssl-mode as mysql2 options: `required` encrypts without checking the
 * certificate, `verify-identity` checks its chain and the host name. mysql2 refuses a server that
 * does not offer TLS (HANDSHAKE_NO_SSL_SUPPORT) before it sends the login.
 */
function sslOf(target: ResolvedTarget) {
  const t = target.tls;
  if (!t.required) return {};
  const verify = t.verify !== 'none';
  return { ssl: { rejectUnauthorized: verify, verifyIdentity: t.verify === 'full', ...(target.ca !== undefined && { ca: target.ca }) } };
}

async function probeMysql(target: ResolvedTarget, hooks: ProbeHooks): Promise<ProbeResult> {
  const addressOf = hooks.addressOf;
  let connection: mysql.Connection | undefined;
  let aborted = false;
  const destroy = () => {
    aborted = true;
    connection?.destroy();
  };
  hooks.signal?.addEventListener('abort', destroy, { once: true });
  const started = performance.now();
  try {
    try {
      connection = await mysql.createConnection({
        // The socket goes to the vetted address, as the pool's do; `host` stays the name TLS checks.
        stream: addressOf !== undefined ? deferredSocket(addressOf, target.port) : tcpConnect({ host: target.host, port: target.port }),
        host: target.host,
        port: target.port,
        database: target.database,
        user: target.user,
        password: target.password.reveal(),
        connectTimeout: wholeMs(target.connectTimeoutMs),
        ...sslOf(target),
      });
    } catch (error) {
      throw new ProbeError('login', error);
    }
    connection.on('error', () => undefined);
    if (aborted) connection.destroy();
    const loginMs = performance.now() - started;
    // mysql2/promise keeps the core connection (and its stream) as `connection`, untyped.
    const channel = channelOf((connection as unknown as { connection?: unknown }).connection);
    const tls = channel.encrypted ? channel : undefined;
    hooks.onLogin?.({ encrypted: channel.encrypted, tls, tlsMs: undefined, loginMs });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS version', timeout: wholeMs(target.requestTimeoutMs) });
      return { serverVersion: String(rows[0]?.version ?? '').trim(), encrypted: channel.encrypted, tls, tlsMs: undefined, loginMs, queryMs: performance.now() - started - loginMs };
    } catch (error) {
      throw new ProbeError('query', error);
    }
  } finally {
    hooks.signal?.removeEventListener('abort', destroy);
    const opened = connection;
    if (opened !== undefined) void opened.end().catch(() => opened.destroy());
  }
}

export const mysqlAdapter: DriverAdapter<mysql.Pool> = {
  type: 'mysql',

  async create(target: ResolvedTarget, settings: DriverPoolSettings, hooks: DriverHooks) {
    const addressOf = hooks.addressOf;
    const pool = mysql.createPool({
      // A stream per connection that connects to the vetted address; `host` stays the name for TLS.
      ...(addressOf !== undefined && { stream: () => deferredSocket(addressOf, target.port, { keepAlive: true }) }),
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password.reveal(),
      connectionLimit: target.poolSize,
      maxIdle: target.poolSize,
      idleTimeout: settings.connectionIdleTimeoutMs,
      connectTimeout: target.connectTimeoutMs,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      ...sslOf(target),
    });
    const core = pool.pool as unknown as CorePoolInternals;
    // Each pooled connection copies this config's property descriptors, so hiding it here hides
    // it everywhere (util.inspect(pool), JSON.stringify(pool.pool.config)).
    Object.defineProperty(core.config.connectionConfig, 'password', { enumerable: false });
    // A PoolConnection listens for its first 'error' only; keep one listener for the rest so a
    // late socket error can never be unhandled.
    const seen: { tls: ChannelSecurity | undefined } = { tls: undefined };
    pool.pool.on('connection', (connection) => {
      connection.on('error', (error: unknown) => hooks.onError(error));
      seen.tls = channelOf(connection);
    });
    pool.pool.on('error', (error: unknown) => hooks.onError(error));
    try {
      const connection = await pool.getConnection();
      connection.on('error', (error: unknown) => hooks.onError(error));
      connection.release();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new MysqlDriverPool(pool, seen);
  },

  classify(error: unknown): DriverErrorInfo {
    const e = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown; name?: unknown };
    const driverCode = typeof e.code === 'string' ? e.code : undefined;
    const number = typeof e.errno === 'number' && e.errno > 0 ? e.errno : undefined;
    const sqlState = typeof e.sqlState === 'string' ? e.sqlState : undefined;
    const securityViolation = securityViolationOf(error);
    if (securityViolation !== undefined) return { number, sqlState, driverCode, transient: false, connectionLost: false, securityViolation };
    // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_BAD_DB_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
    if (number !== undefined && loginReasonOf(number) !== undefined) {
      return { number, sqlState, driverCode, transient: false, connectionLost: false };
    }
    const connectionLost = (driverCode !== undefined && CONNECTION_LOST_CODES.has(driverCode)) || e.name === 'DriverTimeoutError';
    return { number, sqlState, driverCode, transient: connectionLost || (number !== undefined && TRANSIENT_ERRNOS.has(number)), connectionLost };
  },

  probe: probeMysql,
};
