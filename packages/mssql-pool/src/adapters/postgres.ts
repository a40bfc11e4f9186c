import net from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { DriverErrorInfo } from '../errors';
import { loginReasonOf } from '../login-reasons';
import type { ResolvedTarget } from '../target';
import { negotiatedTlsOf, securityViolationOf, type ChannelSecurity } from '../tls';
import { ProbeError, wholeMs, type ProbeHooks, type ProbeResult } from './probe';
import { DriverTimeoutError, withTimeout } from './timeout';
import type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings, QueryParams, QueryResult } from './types';

/** Beyond a refused login, a SQLSTATE that means "these settings will never work": no point retrying. */
const PERMANENT_SQLSTATES = new Set(['42501']);
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

interface PgClientInternals {
  end(): Promise<void>;
  processID: number | null;
  secretKey: number | null;
  _activeQuery: unknown;
}
interface PgPoolInternals {
  _clients: PgClientInternals[];
  options: { host?: string; port?: number };
}

/**
 * PostgreSQL keeps running a statement after its client socket goes away, so a forced close first
 * sends the protocol's CancelRequest (a fresh socket, no login) for every busy connection.
 */
function sendCancelRequest(host: string, port: number, processID: number, secretKey: number): Promise<void> {
  return new Promise((resolve) => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(80877102, 4);
    packet.writeInt32BE(processID, 8);
    packet.writeInt32BE(secretKey, 12);
    const socket = net.connect(port, host, () => socket.end(packet));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

/** What a connected pg client negotiated: after SSLRequest its connection's stream is the TLS socket. */
function channelOf(client: pg.Client | pg.PoolClient): ChannelSecurity {
  const negotiated = negotiatedTlsOf((client as unknown as { connection?: { stream?: unknown } }).connection?.stream);
  return negotiated ? { encrypted: true, ...negotiated } : { encrypted: false };
}

class PostgresDriverPool implements DriverPool<pg.Pool> {
  readonly native: pg.Pool;
  readonly #seen: { tls: ChannelSecurity | undefined };
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, seen: { tls: ChannelSecurity | undefined }) {
    this.native = pool;
    this.#seen = seen;
  }

  get tls(): ChannelSecurity | undefined {
    return this.#seen.tls;
  }

  get size(): number {
    return this.native.totalCount;
  }
  get borrowed(): number {
    return this.native.totalCount - this.native.idleCount;
  }
  get idle(): number {
    return this.native.idleCount;
  }
  get waiters(): number {
    return this.native.waitingCount;
  }

  async query<Row>(sql: string, params?: QueryParams): Promise<QueryResult<Row>> {
    if (params !== undefined && !Array.isArray(params)) {
      throw new TypeError('postgres queries take positional parameters ($1, $2, ...): pass an array');
    }
    const result = await this.native.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.native.query('SELECT 1'), timeoutMs, () => new DriverTimeoutError(`health check timed out after ${timeoutMs} ms`));
  }

  close(): Promise<void> {
    // pg-pool's end() closes idle clients now and each borrowed one as it is released.
    this.#closing ??= this.native.ending ? Promise.resolve() : this.native.end();
    return this.#closing;
  }

  async destroy(): Promise<void> {
    const internals = this.native as unknown as PgPoolInternals;
    const clients = [...internals._clients];
    const closing = this.close();
    const { host = 'localhost', port = 5432 } = internals.options;
    await Promise.allSettled(
      clients.map(async (client) => {
        if (client._activeQuery && client.processID !== null && client.secretKey !== null) {
          await sendCancelRequest(host, port, client.processID, client.secretKey);
        }
        await client.end();
      }),
    );
    await closing;
  }
}

/**
 * pg-pool opens connections with `new Client(options).connect()`; this Client asks for the vetted
 * address first and connects there, so no pooled connection ever resolves the host name itself.
 */
function vettedClient(addressOf: () => Promise<string>): typeof pg.Client {
  return class VettedClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const connecting = addressOf().then((address) => {
        this.host = address;
        return super.connect();
      });
      if (callback === undefined) return connecting;
      // pg-pool passes a callback and reads (err, client) from it, as pg's own connect does.
      const done = callback as (err: Error | null, client?: pg.Client) => void;
      connecting.then(
        (client) => done(null, client),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    }
  };
}

/**
 * libpq's sslmode as node-postgres options: `require` encrypts without checking the certificate,
 * `verify-ca` checks its chain only, `verify-full` the chain and the host name. A server that
 * answers the SSLRequest with 'N' is refused (pg never falls back to plaintext once `ssl` is set).
 */
function sslOf(target: ResolvedTarget) {
  const t = target.tls;
  if (!t.required) return false;
  return {
    rejectUnauthorized: t.verify !== 'none',
    ...(t.verify === 'chain' && { checkServerIdentity: () => undefined }),
    // servername: SNI and the certificate check stay on the host name when the socket goes to the
    // vetted IP address (an IP literal gets no SNI, RFC 6066).
    ...(net.isIP(target.host) === 0 && { servername: target.host }),
    ...(target.ca !== undefined && { ca: target.ca }),
  };
}

async function probePostgres(target: ResolvedTarget, hooks: ProbeHooks): Promise<ProbeResult> {
  const Client = hooks.addressOf !== undefined ? vettedClient(hooks.addressOf) : pg.Client;
  const client = new Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password.reveal(),
    connectionTimeoutMillis: wholeMs(target.connectTimeoutMs),
    query_timeout: wholeMs(target.requestTimeoutMs),
    application_name: 'studio-connection-test',
    ssl: sslOf(target),
  });
  // pg emits 'error' for a connection lost after connect; without a listener that would crash.
  client.on('error', () => undefined);
  const end = () => void client.end().catch(() => undefined);
  hooks.signal?.addEventListener('abort', end, { once: true });
  const started = performance.now();
  try {
    try {
      await client.connect();
    } catch (error) {
      throw new ProbeError('login', error);
    }
    const loginMs = performance.now() - started;
    const channel = channelOf(client);
    const tls = channel.encrypted ? channel : undefined;
    hooks.onLogin?.({ encrypted: channel.encrypted, tls, tlsMs: undefined, loginMs });
    try {
      const result = await client.query<{ version: string }>('select version() as version');
      return { serverVersion: (result.rows[0]?.version ?? '').trim(), encrypted: channel.encrypted, tls, tlsMs: undefined, loginMs, queryMs: performance.now() - started - loginMs };
    } catch (error) {
      throw new ProbeError('query', error);
    }
  } finally {
    hooks.signal?.removeEventListener('abort', end);
    end();
  }
}

/** libpq's target_session_attrs=read-write refusal: this server only takes read-only sessions (a standby). */
export class ReadOnlyServerError extends Error {
  readonly code = 'EREADONLY';
  constructor(host: string, port: number) {
    super(`session is read-only on ${host}:${port} (target_session_attrs=read-write)`);
    this.name = 'ReadOnlyServerError';
  }
}

/** As libpq checks it: `SHOW transaction_read_only` once the session is open. */
async function assertReadWrite(client: pg.PoolClient, target: ResolvedTarget): Promise<void> {
  const { rows } = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
  if (rows[0]?.transaction_read_only === 'on') throw new ReadOnlyServerError(target.host, target.port);
}

export const postgresAdapter: DriverAdapter<pg.Pool> = {
  type: 'postgres',

  async create(target: ResolvedTarget, settings: DriverPoolSettings, hooks: DriverHooks) {
    const ssl = sslOf(target);
    // pg-pool copies the password into a non-enumerable property itself.
    const pool = new pg.Pool({
      ...(hooks.addressOf !== undefined && { Client: vettedClient(hooks.addressOf) }),
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password.reveal(),
      max: target.poolSize,
      min: 0,
      idleTimeoutMillis: settings.connectionIdleTimeoutMs,
      connectionTimeoutMillis: Math.min(settings.acquireTimeoutMs, target.connectTimeoutMs),
      query_timeout: target.requestTimeoutMs,
      ssl,
      allowExitOnIdle: true,
    });
    // pg-pool emits 'error' when an idle client's connection dies; unhandled it crashes the process.
    pool.on('error', (error) => hooks.onError(error));
    const seen: { tls: ChannelSecurity | undefined } = { tls: undefined };
    pool.on('connect', (client) => {
      seen.tls = channelOf(client);
    });
    try {
      // The probe is a real pooled connection: released idle, reused by the first query.
      const client = await pool.connect();
      try {
        if (target.targetSessionAttrs === 'read-write') await assertReadWrite(client, target);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PostgresDriverPool(pool, seen);
  },

  classify(error: unknown): DriverErrorInfo {
    const e = (error ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
    const sqlState = isSqlState ? code : undefined;
    const message = typeof e.message === 'string' ? e.message : '';
    // A standby may be promoted: worth trying again, like a server that is down.
    if (error instanceof ReadOnlyServerError) return { number: undefined, sqlState: undefined, driverCode: error.code, transient: true, connectionLost: false };
    const securityViolation = securityViolationOf(error);
    if (securityViolation !== undefined) return { number: undefined, sqlState: undefined, driverCode: code, transient: false, connectionLost: false, securityViolation };
    if (sqlState !== undefined) {
      if (loginReasonOf(sqlState) !== undefined || PERMANENT_SQLSTATES.has(sqlState)) {
        return { number: undefined, sqlState, driverCode: undefined, transient: false, connectionLost: false };
      }
      const connectionLost = sqlState.startsWith('08') || sqlState === '57P01' || sqlState === '57P02';
      return { number: undefined, sqlState, driverCode: undefined, transient: connectionLost || TRANSIENT_SQLSTATES.has(sqlState), connectionLost };
    }
    const connectionLost =
      (code !== undefined && NETWORK_CODES.has(code)) ||
      e.name === 'DriverTimeoutError' ||
      /Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly/i.test(message);
    return { number: undefined, sqlState: undefined, driverCode: code, transient: connectionLost, connectionLost };
  },

  probe: probePostgres,
};
