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
}

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
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((target, ctx) => {
    const problem = encryptionSettingsProblem(target.type, target.options ?? {});
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
  return {
    workspaceId: t.workspaceId,
    connectionId: t.connectionId,
    type: t.type,
    host: t.host,
    port: t.port ?? DEFAULT_PORTS[t.type],
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
  };
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
  };
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
      s.idleTimeoutMs === undefined
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
    s.idleTimeoutMs === o.idleTimeoutMs
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
