import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connectWithRetry, databaseOptionsFromEnv, Migrator, seed, type Database } from '@studio/db';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from './env';
import { createLogger } from './logger';
import { createHttpServer, type ReadinessState } from './server';

export interface RunningApp {
  url: string;
  port: number;
  database: Database;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartAppOptions {
  logger?: Logger;
  /** Folder a relative DATA_DIR resolves against; defaults to where pnpm was invoked. */
  baseDir?: string;
  /** Where seed output (generated initial passwords) goes; stdout by default. */
  announce?: (line: string) => void;
}

/**
 * Starts the API process: listens first (so /healthz can say "starting"), then connects to the
 * system database with retries, applies migrations and the seed when configured, then turns ready.
 */
export async function startApp(env: Env, options: StartAppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const state: ReadinessState = { ready: false, startedAt: new Date() };
  const server = createHttpServer(state);
  server.listen(env.PORT, env.HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`;

  const closeServer = async (): Promise<void> => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const baseDir = options.baseDir ?? env.INIT_CWD ?? process.cwd();
  const dataDir = resolve(baseDir, env.DATA_DIR);
  let database: Database;
  try {
    database = await connectWithRetry(databaseOptionsFromEnv(env, baseDir), {
      onRetry: ({ attempt, delayMs, error }) =>
        logger.warn({ attempt, delayMs, err: error.message }, 'system database not reachable yet, retrying'),
    });
  } catch (error) {
    await closeServer();
    throw error;
  }

  try {
    const embedded = database.kind === 'pglite';
    if (env.AUTO_MIGRATE ?? embedded) {
      await new Migrator(database, { log: (line) => logger.info(line) }).migrate();
      logger.info('system database migrations are current');
    }
    if (env.AUTO_SEED ?? embedded) {
      await seed(database.db, {
        adminPassword: env.SEED_ADMIN_PASSWORD,
        userPassword: env.SEED_USER_PASSWORD,
        credentialsFile: embedded ? join(dataDir, 'initial-credentials.txt') : undefined,
        log: options.announce ?? ((line) => process.stdout.write(`${line}\n`)),
      });
    }
  } catch (error) {
    await closeServer();
    await database.close();
    throw error;
  }

  state.ready = true;
  logger.info({ url, database: database.describe }, 'workspace studio API is ready');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    database,
    logger,
    close() {
      closing ??= (async () => {
        state.ready = false;
        await closeServer();
        await database.close();
      })();
      return closing;
    },
  };
}
