// The long-lived services of one API process, built once at startup and handed to every request
// context. Nothing here knows about tRPC or HTTP.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database, StudioDatabase } from '@studio/db';
import type { WorkspacePoolManager } from '@studio/mssql-pool';
import type { Logger } from 'pino';
import { AccessService } from './access';
import { ApiTokenService } from './api-tokens';
import { AuditService } from './audit';
import { AuthCache, DEFAULT_AUTH_CACHE, type AuthCacheOptions } from './auth-cache';
import { API_VERSION, BackupService, type BackupConfig } from './backups';
import { ConnectionTester, DEFAULT_TEST_DEADLINE_MS, DEFAULT_TEST_MAX_DEADLINE_MS } from './connection-test';
import { ConnectionTestRuns, type ConnectionTestRunsOptions } from './connection-test-runs';
import { ConnectionService } from './connections';
import type { KeyRing } from './crypto';
import { EnvironmentService } from './environments';
import type { OutboundPolicy } from './outbound-policy';
import { defaultRateLimits, memoryStore, postgresStore, RateLimitService, redisStore, type RateLimits, type RateLimitStore } from './rate-limits';
import { OidcService, type OidcConfig } from './oidc';
import { SchemaBrowserService } from './schema-browser';
import { PeopleService } from './people';
import { ProjectService } from './projects';
import { ImportService, type ImportOptions } from './imports/service';
import { createLucia, SessionService } from './sessions';
import { ConsoleService, type ConsoleRunSubject } from './console';
import { ExecutionRegistry, ProcedureCatalogueCache, RunnableProcedures, SqlEditorService } from './sql-editor';
import { beforeConnectOf, WorkspaceDatabases } from './workspace-databases';
import { WorkspaceMigrationService, type WorkspaceMigrationConfig } from './workspace-migrations';
import { createInvalidationChannel, type InvalidationChannel } from './invalidation';
import { createPoolManager, PoolInvalidation } from './workspace-pools';
import { WorkspaceService } from './workspaces';
import { ConcurrencyBudget } from './concurrency';
import { OutageMonitor } from './outages';
import { scopedDatabase } from './unit-of-work';

export interface AppServices {
  db: StudioDatabase;
  keyRing: KeyRing;
  outboundPolicy: OutboundPolicy;
  audit: AuditService;
  rateLimits: RateLimitService;
  sessions: SessionService;
  /** Local users, invite/reset links, deactivation, system roles, own password changes. */
  people: PeopleService;
  tokens: ApiTokenService;
  /** OpenID Connect sign-in; `enabled` is false when OIDC_CLIENT_ID is unset. */
  oidc: OidcService;
  workspaces: WorkspaceService;
  connections: ConnectionService;
  access: AccessService;
  environments: EnvironmentService;
  /** Import projects (seed 004): which connection a CSV import goes to, and how the file reads. */
  projects: ProjectService;
  /** CSV import runs: validation, streamed loading, progress, cancel, history. */
  imports: ImportService;
  /** The process's one pool manager for workspace databases (closed by the app on shutdown). */
  pools: WorkspacePoolManager;
  /** The one way to reach a workspace database: target (settings, outbound policy) and lease. */
  workspaceDatabases: WorkspaceDatabases;
  poolInvalidation: PoolInvalidation;
  /** Cross-instance "this changed" (LISTEN/NOTIFY on PostgreSQL, in memory on PGlite): pools and the auth cache hear it. */
  invalidation: InvalidationChannel;
  /** Who a session or token is and a person's role per workspace, per instance; invalidated through `invalidation`. */
  authCache: AuthCache;
  connectionTester: ConnectionTester;
  /** Connection tests started to be watched step by step (held in memory, per principal). */
  connectionTestRuns: ConnectionTestRuns;
  /** F5: migrations of workspace SQL Server databases, the schema check on pool creation, the query gate. */
  workspaceMigrations: WorkspaceMigrationService;
  /** F7: procedure records, publish and execute; holds the app's running executions and parameter cache. */
  sqlEditor: SqlEditorService;
  /** The schema browser: each connection's catalogue, cached per pool. */
  schemaBrowser: SchemaBrowserService;
  /** How many executions may run at once per connection, and how long the next ones wait. */
  executionBudget: ConcurrencyBudget;
  /** Query console runs, history and saved queries; holds the app's running console runs. */
  console: ConsoleService;
  /** Which of the system database and Redis are down (one warning per outage; /readyz, /metrics). */
  outages: OutageMonitor;
  /** Backups of the system database taken by this app (Backups page, REST, BACKUP_SCHEDULE). */
  backups: BackupService;
  /** Where the seed kept the generated first passwords (embedded database only), for the sign-in hint. */
  initialCredentialsFile: string | null;
  logger: Logger;
}

export interface CreateServicesOptions {
  database: Database;
  /** Where the seed keeps the generated first passwords, when it writes them (embedded database). */
  initialCredentialsFile?: string | undefined;
  keyRing: KeyRing;
  outboundPolicy: OutboundPolicy;
  logger: Logger;
  sessionTtlHours: number;
  /** Overrides for tests; production uses the RFC 002 §9.2 limits. */
  rateLimits?: RateLimits;
  /** REDIS_URL: counters in Redis, shared by every instance. */
  redisUrl?: string | undefined;
  /** REDIS_COMMAND_TIMEOUT_MS / REDIS_CONNECT_TIMEOUT_MS. */
  redisTimeouts?: { commandTimeoutMs: number; connectTimeoutMs: number };
  /** A different counter store; default: Redis when redisUrl is set, else the system database, or memory on PGlite. */
  rateLimitStore?: RateLimitStore;
  /** Default deadline of a connection test (CONNECTION_TEST_TIMEOUT_MS). */
  connectionTestDeadlineMs?: number;
  /** Cap on a connection's connect timeout as a test deadline (CONNECTION_TEST_MAX_TIMEOUT_MS). */
  connectionTestMaxDeadlineMs?: number;
  /** Watched connection tests: how long an ended run is kept, how many one principal holds. */
  connectionTestRuns?: ConnectionTestRunsOptions;
  /** A ready-made pool manager (tests tune its timeouts); default: one with the package defaults and the outbound policy at every connect. */
  pools?: WorkspacePoolManager;
  /** OpenID Connect sign-in (OIDC_* variables); null or unset = disabled. */
  oidc?: OidcConfig | null;
  /** Workspace migration settings (WORKSPACE_MIGRATIONS_* variables; tests point migrationsDir elsewhere). */
  workspaceMigrations?: Partial<WorkspaceMigrationConfig>;
  /** Executions per connection at once (default 8) and the wait for a slot (default 2 s). */
  executionBudget?: { concurrency: number; maxWaitMs: number };
  /** The most rows one console export may hold (EXPORT_MAX_ROWS, default 1,000,000). */
  exportMaxRows?: number;
  /** Shared with the app's readiness check; default: a new one. */
  outages?: OutageMonitor;
  /** CSV imports: size cap (IMPORT_MAX_BYTES), heartbeat and staleness (tests shorten them). */
  imports?: Partial<ImportOptions>;
  /** Backup folder, retention, schedule (BACKUP_* variables); default: a folder under the OS temp dir, no schedule. */
  backups?: BackupConfig;
  /** The auth cache's backstop TTL and size (default 10 s, 10,000 entries per kind; ttlMs 0 turns it off). */
  authCache?: AuthCacheOptions;
}

/**
 * Picks the rate-limit store: Redis when configured; else PostgreSQL through the system pool so
 * instances share counters; on the embedded PGlite (one process by construction, and no pg Pool to
 * hand the library) process memory.
 */
async function defaultRateLimitStore(options: CreateServicesOptions, outages: OutageMonitor): Promise<RateLimitStore> {
  if (options.redisUrl) return redisStore(options.redisUrl, options.logger, { ...options.redisTimeouts, outages });
  if (options.database.kind === 'pg') return postgresStore(options.database.client);
  return memoryStore;
}

/**
 * Below the default pool size (10), so a burst of executions on one connection leaves connections
 * for the schema check, tests and other users; the wait absorbs short bursts.
 */
const DEFAULT_EXECUTION_BUDGET = { concurrency: 8, maxWaitMs: 2_000 };

export async function createServices(options: CreateServicesOptions): Promise<AppServices> {
  // Every service joins the transaction of an `atomically` scope (a change and its audit row).
  const db = scopedDatabase(options.database.db);
  const outages = options.outages ?? new OutageMonitor(options.logger);
  // A connection that opens again ends a system-database outage (requests only report its start).
  if (options.database.kind === 'pg') options.database.client.on('connect', () => outages.recovered('system_database'));
  const store = options.rateLimitStore ?? (await defaultRateLimitStore(options, outages));
  const connections = new ConnectionService(db, options.keyRing);
  const pools = options.pools ?? createPoolManager(options.logger, { beforeConnect: beforeConnectOf(options.outboundPolicy) });
  // On a PostgreSQL system database changes reach every instance (LISTEN/NOTIFY); the embedded
  // PGlite is one process by construction, so in memory is the whole story there.
  const invalidation = await createInvalidationChannel(options.database, db, options.logger);
  const poolInvalidation = new PoolInvalidation(invalidation, pools, options.logger);
  const authCache = new AuthCache(invalidation, options.authCache ?? DEFAULT_AUTH_CACHE);
  const audit = new AuditService(db, options.logger);
  const workspaceDatabases = new WorkspaceDatabases({ db, connections, pools, outboundPolicy: options.outboundPolicy, invalidation, cache: options.authCache ?? DEFAULT_AUTH_CACHE });
  const workspaceMigrations = new WorkspaceMigrationService({ db, databases: workspaceDatabases, audit, logger: options.logger }, options.workspaceMigrations);
  workspaceMigrations.attach();
  const imports = new ImportService({ db, workspaceDatabases, audit, logger: options.logger }, options.imports);
  // Runs left 'running' by a stopped process are marked interrupted; on the embedded database no
  // other process can be running one.
  await imports.startSweeping({ everyRunIsStale: options.database.kind === 'pglite' });
  return {
    db,
    keyRing: options.keyRing,
    outboundPolicy: options.outboundPolicy,
    audit,
    rateLimits: new RateLimitService(store, options.rateLimits ?? defaultRateLimits),
    sessions: new SessionService(db, createLucia(db, options.sessionTtlHours), authCache, options.sessionTtlHours),
    people: new PeopleService(db, authCache),
    tokens: new ApiTokenService(db, authCache),
    oidc: new OidcService(db, options.keyRing, options.oidc ?? null, options.logger),
    workspaces: new WorkspaceService(db, authCache),
    connections,
    access: new AccessService(db),
    environments: new EnvironmentService(db, connections),
    projects: new ProjectService(db),
    imports,
    pools,
    workspaceDatabases,
    poolInvalidation,
    invalidation,
    authCache,
    connectionTester: new ConnectionTester(
      options.outboundPolicy,
      options.connectionTestDeadlineMs ?? DEFAULT_TEST_DEADLINE_MS,
      options.connectionTestMaxDeadlineMs ?? DEFAULT_TEST_MAX_DEADLINE_MS,
    ),
    connectionTestRuns: new ConnectionTestRuns(options.connectionTestRuns),
    workspaceMigrations,
    sqlEditor: new SqlEditorService(db, workspaceDatabases, new ExecutionRegistry(), new ProcedureCatalogueCache(), new RunnableProcedures(invalidation, options.authCache ?? DEFAULT_AUTH_CACHE)),
    schemaBrowser: new SchemaBrowserService(workspaceDatabases),
    executionBudget: new ConcurrencyBudget({ name: 'executionsPerConnection', ...DEFAULT_EXECUTION_BUDGET, ...options.executionBudget }),
    console: new ConsoleService(db, workspaceDatabases, new ExecutionRegistry<ConsoleRunSubject>(), options.exportMaxRows),
    outages,
    initialCredentialsFile: options.initialCredentialsFile ?? null,
    backups: new BackupService(options.database, options.backups ?? defaultBackupConfig(), audit, options.logger),
    logger: options.logger,
  };
}

/** For tests and tools that build services without an env: a private folder, default retention, no schedule. */
function defaultBackupConfig(): BackupConfig {
  return { dir: join(tmpdir(), `studio-backups-${process.pid}`), keep: 14, maxAgeDays: 30, schedule: undefined, appVersion: API_VERSION };
}

/**
 * Stops what createServices started: running SQL editor executions get a TDS attention, then the
 * invalidation listener, the pools (in-flight queries may finish within `poolDrainDeadlineMs`) and the
 * rate-limit store close. The system database stays open; its owner closes it.
 */
export async function closeServices(services: AppServices, options: { poolDrainDeadlineMs: number }): Promise<void> {
  services.backups.stopSchedule();
  await services.invalidation.close();
  services.sqlEditor.executions.cancelAll();
  services.console.runs.cancelAll();
  services.connectionTestRuns.cancelAll();
  await services.imports.close();
  await services.pools.close({ deadlineMs: options.poolDrainDeadlineMs });
  await services.rateLimits.close();
}
