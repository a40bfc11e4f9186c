import type { Server } from 'node:http';
import { connectWithRetry, databaseOptionsFromEnv, Migrator, seed, type Database } from '@studio/db';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { startDemoDatabase, type DemoDatabase } from './demo';
import { EnvError, type Env } from './env';
import { createLogger } from './logger';
import { listenForBursts } from './listen';
import { ApiMetrics } from './metrics';
import { ReadinessCheck } from './readiness';
import { createRestHandler } from './rest/handler';
import { createApiHandler, createHttpServer, type FallbackHandler, type ReadinessState } from './server';
import { closeServices, createServices, type AppServices } from './services/index';
import { workspaceMigrationConfigOf } from './services/workspace-migrations';
import { API_VERSION, type BackupConfig } from './services/backups';
import type { KeyRing } from './services/crypto';
import { loadKeyRing } from './services/key-store';
import { oidcConfigFromEnv } from './services/oidc';
import { outboundPolicyFromEnv } from './services/outbound-policy';

const SESSION_SWEEP_MS = 60 * 60 * 1000;
/** How long in-flight workspace queries may finish on shutdown before their connections are cut. */
const POOL_DRAIN_DEADLINE_MS = 10_000;
/**
 * Connections the kernel queues before they are accepted (capped by net.core.somaxconn). Node's 511
 * resets part of a burst of 1,000 clients connecting at once (a load balancer reconnecting after a
 * deploy, a load test); queued, they are only answered a little later.
 */
const LISTEN_BACKLOG = 4_096;

export interface RunningApp {
  url: string;
  port: number;
  database: Database;
  services: AppServices;
  logger: Logger;
  /** This app's /metrics registry and counters. */
  metrics: ApiMetrics;
  /** The listening node:http server (benchmarks tune its keep-alive). */
  server: Server;
  close(): Promise<void>;
}

export interface StartAppOptions {
  logger?: Logger;
  /** Folder a relative DATA_DIR resolves against; defaults to where pnpm was invoked. */
  baseDir?: string;
  /** Where seed output (generated initial passwords) goes; stdout by default. */
  announce?: (line: string) => void;
  /** Handles requests outside the API's routes on the same server (the web UI); 404 otherwise. */
  fallback?: FallbackHandler;
}

/**
 * Starts the API process: listens first (so /healthz can say "starting"), then connects to the
 * system database with retries, applies migrations and the seed when configured, then turns ready.
 */
export async function startApp(env: Env, options: StartAppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const state: ReadinessState = { ready: false, startedAt: new Date() };
  const metrics = new ApiMetrics();
  const server = createHttpServer(state, options.fallback, { metrics, metricsToken: env.METRICS_TOKEN, logger });
  const listening = await listenForBursts(server, { port: env.PORT, host: env.HOST, backlog: LISTEN_BACKLOG, sockets: env.HTTP_LISTEN_SOCKETS });
  const { port } = listening;
  const url = `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`;

  const closeServer = async (): Promise<void> => {
    if (!server.listening) return;
    server.closeAllConnections();
    await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), listening.closeAcceptors()]);
  };

  const baseDir = options.baseDir ?? env.INIT_CWD ?? process.cwd();
  const dataDir = resolve(baseDir, env.DATA_DIR);
  let keyRing: KeyRing;
  let database: Database;
  const databaseOptions = { ...databaseOptionsFromEnv(env, baseDir), queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS };
  try {
    if (env.DATABASE_URL !== undefined && env.ENCRYPTION_KEYS === undefined) {
      // A generated key lives in one instance's data folder: a second instance on the same database
      // would seal with another key and could read none of the first one's credentials.
      throw new EnvError([{ field: 'ENCRYPTION_KEYS', message: 'is required when DATABASE_URL is set (every instance on one database must share the key ring)' }]);
    }
    // Before the database: a bad or missing key ring should stop startup before anything else.
    keyRing = await loadKeyRing({ encryptionKeys: env.ENCRYPTION_KEYS, nodeEnv: env.NODE_ENV, dataDir, logger });
    database = await connectWithRetry(databaseOptions, {
      onRetry: ({ attempt, delayMs, error }) =>
        logger.warn({ attempt, delayMs, err: error.message }, 'system database not reachable yet, retrying'),
    });
  } catch (error) {
    await closeServer();
    throw error;
  }

  let services: AppServices;
  try {
    const embedded = database.kind === 'pglite';
    if (env.AUTO_MIGRATE ?? embedded) {
      // A long migration must not run into the per-query deadline meant for requests.
      const migrating = embedded ? database : await connectWithRetry({ ...databaseOptions, queryTimeoutMs: 0, poolSize: 1 });
      try {
        await new Migrator(migrating, { log: (line) => logger.info(line) }).migrate();
      } finally {
        if (migrating !== database) await migrating.close();
      }
      logger.info('system database migrations are current');
    }
    const credentialsFile = embedded ? join(dataDir, 'initial-credentials.txt') : undefined;
    if (env.AUTO_SEED ?? embedded) {
      await seed(database.db, {
        adminPassword: env.SEED_ADMIN_PASSWORD,
        userPassword: env.SEED_USER_PASSWORD,
        credentialsFile,
        log: options.announce ?? ((line) => process.stdout.write(`${line}\n`)),
      });
    }
    services = await createServices({
      database,
      initialCredentialsFile: credentialsFile,
      keyRing,
      outboundPolicy: outboundPolicyFromEnv(env),
      logger,
      sessionTtlHours: env.SESSION_TTL_HOURS,
      redisUrl: env.REDIS_URL,
      rateLimits: env.RATE_LIMITS,
      redisTimeouts: { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS },
      connectionTestDeadlineMs: env.CONNECTION_TEST_TIMEOUT_MS,
      connectionTestMaxDeadlineMs: env.CONNECTION_TEST_MAX_TIMEOUT_MS,
      oidc: oidcConfigFromEnv(env, url),
      workspaceMigrations: workspaceMigrationConfigOf(env),
      exportMaxRows: env.EXPORT_MAX_ROWS,
      imports: { maxFileBytes: env.IMPORT_MAX_BYTES },
      backups: backupConfigOf(env, dataDir, baseDir),
    });
    state.api = createApiHandler(services, { trustProxy: env.TRUST_PROXY, onProblem: (problem) => metrics.problem(problem, 'trpc') });
    state.rest = createRestHandler(services, { trustProxy: env.TRUST_PROXY, onProblem: (problem) => metrics.problem(problem, 'rest') });
    state.readiness = new ReadinessCheck(database, { outages: services.outages, verifyKeyRing: () => services.connections.verifyKeyRing() });
  } catch (error) {
    await closeServer();
    await database.close();
    throw error;
  }

  let demo: DemoDatabase | null = null;
  if (env.DEMO_MSSQL ?? (database.kind === 'pglite' && env.NODE_ENV !== 'production')) {
    demo = await startDemoDatabase({ dataDir, port: env.DEMO_MSSQL_PORT, services, logger }).catch((error: unknown) => {
      logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'demo SQL Server not started');
      return null;
    });
  }

  // Expired sessions are refused on read anyway; this only keeps the table small.
  const sessionSweep = setInterval(() => {
    services.sessions.lucia.deleteExpiredSessions().catch((error: unknown) => logger.warn({ err: error }, 'expired session cleanup failed'));
  }, SESSION_SWEEP_MS);
  sessionSweep.unref();

  await services.backups.refreshLastSuccess().catch((error: unknown) => logger.warn({ err: error }, 'cannot read the last backup time'));
  services.backups.startSchedule();
  const detachMetrics = metrics.attach(services);
  state.ready = true;
  logger.info(
    { url, database: database.describe, rateLimitStore: services.rateLimits.storeName, poolInvalidation: services.poolInvalidation.name },
    'workspace studio API is ready',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    database,
    services,
    logger,
    metrics,
    server,
    close() {
      closing ??= (async () => {
        state.ready = false;
        clearInterval(sessionSweep);
        await closeServer();
        detachMetrics();
        await closeServices(services, { poolDrainDeadlineMs: POOL_DRAIN_DEADLINE_MS });
        await demo?.close();
        await database.close();
      })();
      return closing;
    },
  };
}

/** BACKUP_* variables; BACKUP_DIR defaults to <DATA_DIR>/backups, relative paths resolve like DATA_DIR. */
export function backupConfigOf(env: Env, dataDir: string, baseDir: string): BackupConfig {
  return {
    dir: env.BACKUP_DIR ? resolve(baseDir, env.BACKUP_DIR) : join(dataDir, 'backups'),
    keep: env.BACKUP_KEEP,
    maxAgeDays: env.BACKUP_MAX_AGE_DAYS,
    schedule: env.BACKUP_SCHEDULE,
    appVersion: API_VERSION,
  };
}

/**
 * For a process's entry point: SIGINT/SIGTERM close the app (in-flight work drains) and exit 0, or
 * exit 1 when closing fails.
 */
export function closeOnSignals(app: Pick<RunningApp, 'logger' | 'close'>): void {
  const shutdown = (signal: string): void => {
    app.logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
