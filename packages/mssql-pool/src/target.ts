import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import { DEFAULT_PORTS, type DatabaseType } from './database-type';
import { PoolOptionsError } from './errors';
import type { PoolSelector } from './events';
import { ALL_ENCRYPTION_MODES, encryptionSettingsProblem, tlsRequirementOf, type EncryptionMode, type TlsRequirement } from './tls';

export { DEFAULT_PORTS, type DatabaseType } from './database-type';

/** Per-connection settings, as stored in the connections registry. */
export interface ConnectionTargetOptions {
  /**
   * The encryption mode (`ENCRYPTION_MODES[type]`); wins over `encrypt`. A mode that requires TLS
   * refuses a server that does not offer it. Default: from `encrypt` (see `encryptionModeOf`).
   */
  encryption?: EncryptionMode;
  /** TLS on/off, the older switch. mssql: `encrypt` (driver default true); postgres/mysql: TLS, verified, when true (default false). */
  encrypt?: boolean;
  /** SQL Server `required`: do not check the certificate (an explicit choice; `strict` refuses it). */
  trustServerCertificate?: boolean;
  /** PEM CA certificate(s) to trust. */
  ca?: string;
  /** Maximum connections in this pool (default: the manager's `defaultPoolSize`, 10). */
  poolSize?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Close this pool after it has been unused this long (default: the manager's `idleTimeoutMs`). */
  idleTimeoutMs?: number;
  /**
   * mssql: the mirroring partner (SQL Server's `Failover Partner`). A pool whose server refuses
   * logins or dies is reopened on the other one; it stays there until reset or its next failure.
   */
  failoverPartner?: ServerAddress;
  /** postgres: more hosts, tried in order after `host` (libpq's host list). */
  alternateHosts?: ServerAddress[];
  /** postgres: `read-write` skips servers whose sessions are read-only (libpq's target_session_attrs); default `any`. */
  targetSessionAttrs?: TargetSessionAttrs;
  /**
   * mssql: log in with ApplicationIntent=ReadOnly (a listener with read-only routing sends such
   * logins to a readable secondary). Such a target has a pool of its own beside the connection's
   * read-write one; both answer to the connection's id in `invalidate`/`reset`.
   */
  readOnlyIntent?: boolean;
}

/** One server of a target: `host` / `port`, a failover partner or an alternate host. */
export interface ServerAddress {
  host: string;
  /** Default: the type's port. */
  port?: number;
}

export type TargetSessionAttrs = 'read-write' | 'any';

/** Where a workspace's connection points. The manager caches one pool per target. */
export interface ConnectionTarget {
  workspaceId: string;
  connectionId: string;
  type: DatabaseType;
  host: string;
  /** Default 1433 / 5432 / 3306 by `type`. */
  port?: number;
  database: string;
  user: string;
  password: string;
  options?: ConnectionTargetOptions;
}

/** A target whose `type` is known statically, so a lease's `pool` has the driver's type. */
export type ConnectionTargetOf<K extends DatabaseType> = ConnectionTarget & { type: K };


const id = z.string().min(1).max(200).regex(/^[^:]+$/, 'must not contain ":"');
const positiveMs = z.number().int().positive().max(24 * 3600 * 1000);
const serverAddress = z.object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535).optional() }).strict();

const targetSchema = z
  .object({
    workspaceId: id,
    connectionId: id,
    type: z.enum(['mssql', 'postgres', 'mysql']),
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1).max(128),
    user: z.string().min(1).max(128),
    password: z.string().max(1024),
    options: z
      .object({
        encryption: z.enum(ALL_ENCRYPTION_MODES).optional(),
        encrypt: z.boolean().optional(),
        trustServerCertificate: z.boolean().optional(),
        ca: z.string().min(1).optional(),
        poolSize: z.number().int().min(1).max(1000).optional(),
        connectTimeoutMs: positiveMs.optional(),
        requestTimeoutMs: positiveMs.optional(),
        idleTimeoutMs: positiveMs.optional(),
        failoverPartner: serverAddress.optional(),
        alternateHosts: z.array(serverAddress).max(16).optional(),
        targetSessionAttrs: z.enum(['read-write', 'any']).optional(),
        readOnlyIntent: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // Each server list is one driver's idea: SQL Server mirroring, libpq's host list.
    for (const key of ['failoverPartner', 'readOnlyIntent'] as const) {
      if (t.options?.[key] !== undefined && t.type !== 'mssql') ctx.addIssue({ code: 'custom', path: ['options', key], message: 'only SQL Server (mssql) connections take this option' });
    }
    for (const key of ['alternateHosts', 'targetSessionAttrs'] as const) {
      if (t.options?.[key] !== undefined && t.type !== 'postgres') ctx.addIssue({ code: 'custom', path: ['options', key], message: 'only PostgreSQL connections take this option' });
    }
    const problem = encryptionSettingsProblem(t.type, t.options ?? {});
    if (problem) ctx.addIssue({ code: 'custom', path: ['options', problem.field], message: problem.message });
  });

/**
 * A password that cannot leak by accident: the value lives in a private field, so
 * `JSON.stringify`, `util.inspect`, spreading and `Object.keys` never see it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  equals(value: string): boolean {
    return this.#value === value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** A validated target with defaults applied. Holds the password only as a `Secret`. */
export interface ResolvedTarget {
  readonly workspaceId: string;
  readonly connectionId: string;
  readonly type: DatabaseType;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: Secret;
  /** The encryption mode in force and what it asks of the driver. */
  readonly tls: TlsRequirement;
  readonly encrypt: boolean | undefined;
  readonly trustServerCertificate: boolean | undefined;
  readonly ca: string | undefined;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Undefined: the manager's `idleTimeoutMs` applies. */
  readonly idleTimeoutMs: number | undefined;
  /**
   * Where a pool may connect, in order of preference: `host:port` first, then the failover partner
   * (mssql) or the alternate hosts (postgres). A pool is connected to exactly one of them.
   */
  readonly servers: readonly Required<ServerAddress>[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly readOnlyIntent: boolean;
}

export interface TargetDefaults {
  poolSize: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export function resolveTarget(input: unknown, defaults: TargetDefaults): ResolvedTarget {
  const parsed = targetSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? `target.${issue.path.join('.')}` : 'target';
    // zod messages never echo the input value, so the password cannot end up in here.
    throw new PoolOptionsError(field, issue?.message ?? 'invalid connection target');
  }
  const t = parsed.data;
  const port = t.port ?? DEFAULT_PORTS[t.type];
  const others = t.options?.failoverPartner !== undefined ? [t.options.failoverPartner] : (t.options?.alternateHosts ?? []);
  return {
    workspaceId: t.workspaceId,
    connectionId: t.connectionId,
    type: t.type,
    host: t.host,
    port,
    database: t.database,
    user: t.user,
    password: new Secret(t.password),
    tls: tlsRequirementOf(t.type, t.options ?? {}),
    encrypt: t.options?.encrypt,
    trustServerCertificate: t.options?.trustServerCertificate,
    ca: t.options?.ca,
    poolSize: t.options?.poolSize ?? defaults.poolSize,
    connectTimeoutMs: t.options?.connectTimeoutMs ?? defaults.connectTimeoutMs,
    requestTimeoutMs: t.options?.requestTimeoutMs ?? defaults.requestTimeoutMs,
    idleTimeoutMs: t.options?.idleTimeoutMs,
    servers: [{ host: t.host, port }, ...others.map((server) => ({ host: server.host, port: server.port ?? DEFAULT_PORTS[t.type] }))],
    targetSessionAttrs: t.options?.targetSessionAttrs ?? 'any',
    readOnlyIntent: t.options?.readOnlyIntent === true,
  };
}

/** The manager's slot for a target: its connection id, or (read intent) the connection's second slot. */
export function slotOf(target: { connectionId: string; options?: { readOnlyIntent?: boolean | undefined } | undefined; readOnlyIntent?: boolean }): string {
  // ':' never occurs in a connection id, so the read-intent slot cannot be another connection's.
  return target.options?.readOnlyIntent === true || target.readOnlyIntent === true ? `${target.connectionId}:read-only` : target.connectionId;
}

/** The target as the driver sees it when a pool connects to `servers[index]`. */
export function serverTarget(target: ResolvedTarget, index: number): ResolvedTarget {
  const server = target.servers[index];
  if (server === undefined || index === 0) return target;
  return { ...target, host: server.host, port: server.port };
}

/**
 * The settings part of a pool key. An HMAC (sha256) under a per-manager random key rather than a
 * bare sha256: the key string appears in events, logs and metrics, and a bare hash of known
 * host/user plus a weak password could be brute-forced offline.
 */
export function fingerprint(target: ResolvedTarget, hmacKey: Buffer): string {
  const canonical = JSON.stringify([
    target.type,
    target.host,
    target.port,
    target.database,
    target.user,
    target.password.reveal(),
    target.tls.mode,
    target.encrypt ?? null,
    target.trustServerCertificate ?? null,
    target.ca ?? null,
    target.poolSize,
    target.connectTimeoutMs,
    target.requestTimeoutMs,
    target.idleTimeoutMs ?? null,
    target.servers.slice(1).map((server) => [server.host, server.port]),
    target.targetSessionAttrs,
    target.readOnlyIntent,
  ]);
  return createHmac('sha256', hmacKey).update(canonical).digest('hex').slice(0, 16);
}

/**
 * The cache key of a pool: `${workspaceId}:${connectionId}:${fingerprint}`. The only place a key is
 * built; nothing takes one apart (pools and circuits carry their ids).
 */
export function poolKeyOf(target: ResolvedTarget, hmacKey: Buffer): string {
  return `${target.workspaceId}:${target.connectionId}:${fingerprint(target, hmacKey)}`;
}

/**
 * Cheap "same settings as last time?" check for the cache-hit path: field compares instead of a
 * hash per call. `snapshot` is the caller's target as first seen (options copied, password kept as
 * a `Secret`).
 */
export interface TargetSnapshot {
  readonly type: DatabaseType;
  readonly host: string;
  readonly port: number | undefined;
  readonly database: string;
  readonly user: string;
  readonly password: Secret;
  readonly encryption: EncryptionMode | undefined;
  readonly encrypt: boolean | undefined;
  readonly trustServerCertificate: boolean | undefined;
  readonly ca: string | undefined;
  readonly poolSize: number | undefined;
  readonly connectTimeoutMs: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly failoverPartner: ServerAddress | undefined;
  readonly alternateHosts: readonly ServerAddress[] | undefined;
  readonly targetSessionAttrs: TargetSessionAttrs | undefined;
  readonly readOnlyIntent: boolean | undefined;
}

export function snapshotOf(target: ConnectionTarget, password: Secret): TargetSnapshot {
  const o = target.options;
  return {
    type: target.type,
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password,
    encryption: o?.encryption,
    encrypt: o?.encrypt,
    trustServerCertificate: o?.trustServerCertificate,
    ca: o?.ca,
    poolSize: o?.poolSize,
    connectTimeoutMs: o?.connectTimeoutMs,
    requestTimeoutMs: o?.requestTimeoutMs,
    idleTimeoutMs: o?.idleTimeoutMs,
    // Copied: the caller may reuse (and change) its objects.
    failoverPartner: o?.failoverPartner === undefined ? undefined : { ...o.failoverPartner },
    alternateHosts: o?.alternateHosts?.map((server) => ({ ...server })),
    targetSessionAttrs: o?.targetSessionAttrs,
    readOnlyIntent: o?.readOnlyIntent,
  };
}

function sameServer(a: ServerAddress | undefined, b: ServerAddress | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.host === b.host && a.port === b.port);
}

function sameServers(a: readonly ServerAddress[] | undefined, b: readonly ServerAddress[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((server, i) => sameServer(server, b[i]));
}

export function sameSettings(s: TargetSnapshot, t: ConnectionTarget): boolean {
  if (s.host !== t.host || s.port !== t.port || s.database !== t.database || s.user !== t.user || s.type !== t.type) {
    return false;
  }
  if (!s.password.equals(t.password)) return false;
  const o = t.options;
  if (o === undefined) {
    return (
      s.encryption === undefined &&
      s.encrypt === undefined &&
      s.trustServerCertificate === undefined &&
      s.ca === undefined &&
      s.poolSize === undefined &&
      s.connectTimeoutMs === undefined &&
      s.requestTimeoutMs === undefined &&
      s.idleTimeoutMs === undefined &&
      s.failoverPartner === undefined &&
      s.alternateHosts === undefined &&
      s.targetSessionAttrs === undefined &&
      s.readOnlyIntent === undefined
    );
  }
  return (
    s.encryption === o.encryption &&
    s.encrypt === o.encrypt &&
    s.trustServerCertificate === o.trustServerCertificate &&
    s.ca === o.ca &&
    s.poolSize === o.poolSize &&
    s.connectTimeoutMs === o.connectTimeoutMs &&
    s.requestTimeoutMs === o.requestTimeoutMs &&
    s.idleTimeoutMs === o.idleTimeoutMs &&
    sameServer(s.failoverPartner, o.failoverPartner) &&
    sameServers(s.alternateHosts, o.alternateHosts) &&
    s.targetSessionAttrs === o.targetSessionAttrs &&
    s.readOnlyIntent === o.readOnlyIntent
  );
}

/**
 * A string selector is a workspace id, `workspaceId:connectionId` or a whole key; each pool knows
 * its own ids, so the string is compared with them rather than taken apart.
 */
export function selectorMatcher(selector: PoolSelector | ConnectionTarget): (pool: { key: string; workspaceId: string; connectionId: string }) => boolean {
  return (pool) =>
    typeof selector === 'string'
      ? pool.key === selector || pool.workspaceId === selector || `${pool.workspaceId}:${pool.connectionId}` === selector
      : pool.workspaceId === selector.workspaceId && (selector.connectionId === undefined || pool.connectionId === selector.connectionId);
}
