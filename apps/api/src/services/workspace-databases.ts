// The one way a service or router reaches a workspace database (docs/decisions/006): `targetOf()`
// reads the environment or connection with its sealed settings in one statement, decrypts them,
// applies the outbound policy and builds the pool target; `withConnection()` leases the pool,
// passes the schema-status gate and releases. The pool manager applies the same policy again
// before every physical connection (`beforeConnectOf`), and connects to the address it vetted.
import type { StudioDatabase } from '@studio/db';
import { connections, environments, workspaces, type ConsoleAccess } from '@studio/db/schema';
import { WorkspacePoolError, type BeforeConnect, type ConnectionTarget, type PoolLease, type WorkspacePoolManager } from '@studio/mssql-pool';
import { and, eq } from 'drizzle-orm';
import { DEFAULT_AUTH_CACHE, TtlCache, type AuthCacheOptions } from './auth-cache';
import type { ConnectionTestTarget } from './connection-test';
import { poolTlsOptionsOf } from './connection-tls';
import { settingsColumns, type ConnectionService } from './connections';

/** A connection's sealed settings plus what the callers of targetOf need of the row. */
const targetColumns = { ...settingsColumns, consoleAccess: connections.consoleAccess };
import { ConnectionOperationError, NotFoundError, ServiceError } from './errors';
import type { Invalidation, InvalidationChannel, InvalidationSubscriber } from './invalidation';
import { OutboundPolicyError, type OutboundPolicy } from './outbound-policy';

/**
 * What targetOf read and decrypted, kept per instance (decision 022): the registry row's facts, not
 * the outbound policy's verdict, which is asked on every call (DNS may change under a host name).
 */
interface CachedTarget {
  workspaceId: string;
  connectionId: string;
  name: string;
  consoleAccess: ConsoleAccess;
  settings: ConnectionTestTarget;
  environment: EnvironmentScope | null;
}

/** Which database: a connection by id, or an environment (the workspace's default when no id). */
export type DatabaseRef = { connectionId: string } | { environmentId?: string | undefined };

/** The environment a call acts on, as the environment resolver found it. */
export interface EnvironmentScope {
  workspaceId: string;
  workspaceSlug: string;
  environmentId: string;
  environmentName: string;
  /** The workspace's default environment (where calls naming none go). */
  isDefault: boolean;
  connectionId: string;
}

/** A reachable workspace database: where it is and how the pool manager logs in. Never leaves the process. */
export interface WorkspaceDatabase {
  workspaceId: string;
  connectionId: string;
  /** The connection's name, for messages and file names. */
  name: string;
  /** What the query console may do on it (read in the same statement as the settings). */
  consoleAccess: ConsoleAccess;
  /** Set when reached through an environment. */
  environment: EnvironmentScope | null;
  /** The decrypted settings, for the connection test (which opens its own single connection). */
  settings: ConnectionTestTarget;
  poolTarget: ConnectionTarget;
  /** Set when the connection routes read-only work with ApplicationIntent=ReadOnly (`options.readIntent`). */
  readPoolTarget?: ConnectionTarget | undefined;
}

/**
 * Refuses work on a database whose schema is behind (when configured to): run with the lease,
 * before the caller's function. The workspace migration service registers itself as the gate.
 */
export interface SchemaGate {
  admit(target: ConnectionTarget, lease: PoolLease): Promise<void>;
}

export interface WithConnectionOptions {
  /** Acquire timeout (creation, room under the caps, recovery). */
  timeoutMs?: number | undefined;
  /** Read-only work: goes to the read-intent pool when the connection has one. */
  readOnly?: boolean | undefined;
  /** Migrations and pool resets must reach a database that is behind: they skip the gate. */
  skipSchemaGate?: boolean | undefined;
}

/**
 * The pool manager's `beforeConnect`: resolve the host once, judge every address, hand the first
 * to the driver. A refusal throws the policy's error, which the manager wraps in ConnectRefusedError.
 */
export function beforeConnectOf(policy: OutboundPolicy): BeforeConnect {
  return async ({ host }) => {
    const decision = await policy.check(host);
    if (!decision.allowed) throw new OutboundPolicyError(decision);
    const [address] = decision.addresses;
    if (address === undefined) throw new OutboundPolicyError({ allowed: false, reason: 'dns_failed', message: `Host ${host} could not be resolved` });
    return address;
  };
}

/** A registry row's decrypted settings as a pool target (built per request; the cache hit compares fields). */
function poolTargetOf(workspaceId: string, connectionId: string, settings: ConnectionTestTarget): ConnectionTarget {
  const o = settings.options;
  return {
    workspaceId,
    connectionId,
    type: settings.type,
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password ?? '',
    options: {
      ...poolTlsOptionsOf(o),
      ...(o.poolSize !== undefined && { poolSize: o.poolSize }),
      ...(o.connectTimeoutMs !== undefined && { connectTimeoutMs: o.connectTimeoutMs }),
      ...(o.requestTimeoutMs !== undefined && { requestTimeoutMs: o.requestTimeoutMs }),
      ...(o.idleTimeoutMs !== undefined && { idleTimeoutMs: o.idleTimeoutMs }),
      ...(o.failoverPartner !== undefined && { failoverPartner: o.failoverPartner }),
      ...(o.alternateHosts !== undefined && { alternateHosts: o.alternateHosts }),
      ...(o.targetSessionAttrs !== undefined && { targetSessionAttrs: o.targetSessionAttrs }),
    },
  };
}

export class WorkspaceDatabases implements InvalidationSubscriber {
  #gate: SchemaGate | undefined;
  readonly #targets: TtlCache<CachedTarget>;
  /** Bumped by every change that concerns targets: a row read while one arrived is used once, not kept. */
  #generation = 0;

  constructor(
    private readonly deps: {
      db: StudioDatabase;
      connections: ConnectionService;
      pools: WorkspacePoolManager;
      outboundPolicy: OutboundPolicy;
      /**
       * Where connection and environment changes are announced (services/index.ts passes the
       * instance's channel). Without one nothing is cached: every call reads the registry.
       */
      invalidation?: InvalidationChannel | undefined;
      /** The auth cache's TTL (a backstop for changes made outside the app) and size. */
      cache?: AuthCacheOptions | undefined;
    },
  ) {
    this.#targets = new TtlCache((deps.cache ?? DEFAULT_AUTH_CACHE).maxEntries);
    deps.invalidation?.subscribe(this);
  }

  /** Served from the cache only while changes made by any instance are sure to reach this one. */
  get #cacheUsable(): boolean {
    const channel = this.deps.invalidation;
    return channel !== undefined && channel.listening && (this.deps.cache ?? DEFAULT_AUTH_CACHE).ttlMs > 0;
  }

  /**
   * Announces that a workspace's environments, or a connection's console access, changed: every
   * instance drops the targets it cached for that workspace. Inside an `atomically` scope it
   * commits with the change. (Connection settings and deletes go through PoolInvalidation, whose
   * `pool` message drops the targets too.)
   */
  async targetsChanged(workspaceId: string): Promise<void> {
    if (this.deps.invalidation) await this.deps.invalidation.publish({ kind: 'targets', workspaceId });
  }

  changed(message: Invalidation): void {
    if (message.kind === 'pool') {
      const { workspaceId, connectionId } = message;
      this.#targets.deleteWhere((entry) => entry.workspaceId === workspaceId && entry.connectionId === connectionId);
    } else if (message.kind === 'targets') {
      const { workspaceId } = message;
      this.#targets.deleteWhere((entry) => entry.workspaceId === workspaceId);
    } else {
      return;
    }
    this.#generation += 1;
  }

  missed(): void {
    this.#targets.clear();
    this.#generation += 1;
  }

  /** The registry's facts for `key`, from the cache or read (and kept) by `read`. */
  async #cachedTarget(key: string, read: () => Promise<CachedTarget>): Promise<CachedTarget> {
    const usable = this.#cacheUsable;
    const hit = usable ? this.#targets.get(key, Date.now()) : undefined;
    if (hit) return hit;
    const generation = this.#generation;
    const fresh = await read();
    if (usable && generation === this.#generation) this.#targets.set(key, fresh, Date.now() + (this.deps.cache ?? DEFAULT_AUTH_CACHE).ttlMs);
    return fresh;
  }

  get pools(): WorkspacePoolManager {
    return this.deps.pools;
  }

  /** Installs the schema-status gate (one per instance); returns a function that removes it. */
  useSchemaGate(gate: SchemaGate): () => void {
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
    };
  }

  /**
   * The environment a call acts on: the one named, else the workspace's default. Refused when it
   * has no connection (`environment_unconfigured`) or, for SQL Server work, another database type.
   */
  async environmentOf(workspaceId: string, environmentId?: string, options: { sqlServerOnly?: boolean } = {}): Promise<EnvironmentScope> {
    const found = await this.#environmentRow(workspaceId, environmentId);
    if (options.sqlServerOnly && found.connection.type !== 'mssql') throw notSqlServer(found.scope.environmentName);
    return found.scope;
  }

  /**
   * The database behind a connection or an environment, ready to reach: settings decrypted, host
   * allowed by the outbound policy (a refused host also closes any pool still open to it).
   */
  async targetOf(workspaceId: string, ref: { connectionId: string }, options?: { sqlServerOnly?: boolean }): Promise<WorkspaceDatabase>;
  async targetOf(workspaceId: string, ref: { environmentId?: string | undefined }, options?: { sqlServerOnly?: boolean }): Promise<WorkspaceDatabase & { environment: EnvironmentScope }>;
  async targetOf(workspaceId: string, ref: DatabaseRef, options: { sqlServerOnly?: boolean } = {}): Promise<WorkspaceDatabase> {
    let cached: CachedTarget;
    if ('connectionId' in ref) {
      cached = await this.#cachedTarget(`c:${workspaceId}:${ref.connectionId}`, async () => {
        const [row] = await this.deps.db
          .select(targetColumns)
          .from(connections)
          .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, ref.connectionId)));
        if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
        return this.#cachedTargetOf(workspaceId, row, null);
      });
    } else {
      cached = await this.#cachedTarget(`e:${workspaceId}:${ref.environmentId ?? ''}`, async () => {
        const found = await this.#environmentRow(workspaceId, ref.environmentId);
        return this.#cachedTargetOf(workspaceId, found.connection, found.scope);
      });
      if (options.sqlServerOnly && cached.settings.type !== 'mssql') throw notSqlServer(cached.environment?.environmentName);
    }
    const { connectionId, name, settings, environment } = cached;
    if (options.sqlServerOnly && settings.type !== 'mssql') throw notSqlServer();
    const decision = await this.deps.outboundPolicy.check(settings.host);
    if (!decision.allowed) {
      // A pool opened before the host was refused (DNS changed) must not serve anyone.
      await this.deps.pools.invalidate({ workspaceId, connectionId });
      throw new OutboundPolicyError(decision);
    }
    const poolTarget = poolTargetOf(workspaceId, connectionId, settings);
    const readPoolTarget = settings.type === 'mssql' && settings.options.readIntent === true ? { ...poolTarget, options: { ...poolTarget.options, readOnlyIntent: true } } : undefined;
    return { workspaceId, connectionId, name, consoleAccess: cached.consoleAccess, environment, settings, poolTarget, readPoolTarget };
  }

  #cachedTargetOf(workspaceId: string, row: Parameters<ConnectionService['settingsFrom']>[0] & { consoleAccess: ConsoleAccess }, environment: EnvironmentScope | null): CachedTarget {
    const { id: connectionId, name, ...settings } = this.deps.connections.settingsFrom(row);
    return { workspaceId, connectionId, name, consoleAccess: row.consoleAccess, settings, environment };
  }

  /**
   * Lease the database's pool, admit the call through the schema gate (unless skipped), run `fn`,
   * release (with `fn`'s error, so a lost connection is noticed).
   */
  withConnection<R>(database: Pick<WorkspaceDatabase, 'poolTarget' | 'readPoolTarget'>, fn: (lease: PoolLease) => Promise<R>, options: WithConnectionOptions = {}): Promise<R> {
    const target = (options.readOnly === true ? database.readPoolTarget : undefined) ?? database.poolTarget;
    const gate = options.skipSchemaGate ? undefined : this.#gate;
    return this.deps.pools
      .withConnection(
        target,
        async (lease) => {
          if (gate !== undefined) await gate.admit(target, lease);
          return fn(lease);
        },
        options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs },
      )
      .catch((error: unknown) => {
        throw connectionLostOf(error, target.type) ?? error;
      });
  }

  /** One statement: the environment, its workspace's slug and its connection's sealed settings. */
  async #environmentRow(workspaceId: string, environmentId: string | undefined) {
    const [row] = await this.deps.db
      .select({
        environmentId: environments.id,
        environmentName: environments.name,
        isDefault: environments.isDefault,
        connectionId: environments.connectionId,
        workspaceSlug: workspaces.slug,
        connection: targetColumns,
      })
      .from(environments)
      .innerJoin(workspaces, eq(workspaces.id, environments.workspaceId))
      .leftJoin(connections, and(eq(connections.workspaceId, environments.workspaceId), eq(connections.id, environments.connectionId)))
      .where(and(eq(environments.workspaceId, workspaceId), environmentId === undefined ? eq(environments.isDefault, true) : eq(environments.id, environmentId)));
    if (!row) {
      if (environmentId !== undefined) throw new NotFoundError('Environment', { field: 'environmentId' });
      throw new ServiceError('precondition_failed', 'This workspace has no default environment; an Owner or Admin must configure one', { reason: 'no_default_environment' });
    }
    if (row.connectionId === null || row.connection === null) {
      throw new ServiceError('precondition_failed', `Environment '${row.environmentName}' has no connection configured`, { field: 'environmentId', reason: 'environment_unconfigured' });
    }
    return {
      scope: { workspaceId, workspaceSlug: row.workspaceSlug, environmentId: row.environmentId, environmentName: row.environmentName, isDefault: row.isDefault, connectionId: row.connectionId },
      connection: row.connection,
    };
  }
}

function notSqlServer(environmentName?: string): ServiceError {
  const what = environmentName === undefined ? 'This connection is not' : `Environment '${environmentName}' does not point at`;
  return new ServiceError('precondition_failed', `${what} a SQL Server connection`, { field: 'environmentId', reason: 'not_sql_server' });
}

/** Driver codes of a connection that broke mid-call (tedious wraps the socket's in ESOCKET). */
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ESOCKET', 'ECONNCLOSED', 'ECONNABORTED', 'PROTOCOL_CONNECTION_LOST']);
const CONNECTION_LOST_MESSAGES = /socket hang up|Connection terminated unexpectedly|Connection lost/i;

/**
 * A workspace server that went away during a call (killed, restarted, network cut) is a transient
 * failure, answered 503 with Retry-After: retrying on a fresh connection may well succeed. The
 * lease was released with the error, so the pool already knows the connection is gone.
 */
export function connectionLostOf(error: unknown, databaseType: string): ConnectionOperationError | undefined {
  if (error instanceof ServiceError || error instanceof WorkspacePoolError) return undefined;
  // node-mssql keeps tedious' error in `originalError`, tedious the socket's in `cause`.
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++) {
    const code = (e as { code?: unknown }).code;
    const lost = (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) || CONNECTION_LOST_MESSAGES.test(e.message);
    if (!lost) continue;
    return new ConnectionOperationError(
      'The connection to the workspace database was lost during the call; retry in a few seconds',
      { reason: 'connection_lost', database_type: databaseType, error_code: typeof code === 'string' ? code : null, retryAfterSeconds: WORKSPACE_RETRY_AFTER_SECONDS },
      { cause: error, transient: true },
    );
  }
  return undefined;
}

/** How long a caller is told to wait after a lost workspace connection: the pool reconnects by then. */
const WORKSPACE_RETRY_AFTER_SECONDS = 2;
