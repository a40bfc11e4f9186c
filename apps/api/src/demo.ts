// The demo SQL Server behind `pnpm start` (DEMO_MSSQL): the TDS emulator on 127.0.0.1, registered
// (idempotently) in workspace `twsbp` as a connection and its default environment, so a new user
// has a database to point the editor at. Not for production: the emulator is a test double.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connections, environments } from '@studio/db/schema';
import { Emulator } from '@studio/mssql-emulator';
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppServices } from './services/index';

export const DEMO_WORKSPACE_SLUG = 'twsbp';
export const DEMO_DATABASE = 'twsbp_demo';
export const DEMO_CONNECTION_NAME = 'Demo SQL Server (emulator)';
export const DEMO_ENVIRONMENT_NAME = 'Demo';
const DEMO_USER = 'studio_demo';

const credentialsSchema = z.object({ user: z.string().min(1), password: z.string().min(16) });

/** The demo login, generated once and kept in DATA_DIR (mode 0600) so the emulator's data and the row agree. */
async function demoCredentials(dataDir: string): Promise<z.infer<typeof credentialsSchema>> {
  const file = join(dataDir, 'demo-mssql.json');
  try {
    const parsed = credentialsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const credentials = { user: DEMO_USER, password: randomBytes(18).toString('base64url') };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

export interface DemoDatabase {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the emulator and registers it. Returns null (after a warning) when it cannot start, e.g.
 * the port is taken: the demo is a convenience and never stops the API from starting.
 */
export async function startDemoDatabase(options: { dataDir: string; port: number; services: AppServices; logger: Logger }): Promise<DemoDatabase | null> {
  const { dataDir, services, logger } = options;
  const credentials = await demoCredentials(dataDir);
  const emulatorDataDir = join(dataDir, 'mssql-demo');
  // The emulator (PGlite) creates only the last folder of `<dataDir>/<database>` itself.
  await mkdir(emulatorDataDir, { recursive: true });
  // The Emulator class rather than startEmulator(): a failed start must still close what it opened.
  const emulator = new Emulator({
    host: '127.0.0.1',
    port: options.port,
    users: [{ user: credentials.user, password: credentials.password }],
    databases: [DEMO_DATABASE],
    dataDir: emulatorDataDir,
    serverName: 'studio-demo',
    // Opening a persisted database takes seconds; do it now rather than in the first test's deadline.
    preload: true,
  });
  try {
    await emulator.start();
  } catch (error) {
    await emulator.close().catch(() => undefined);
    const code = (error as { code?: unknown }).code;
    logger.warn(
      { port: options.port, code, err: { message: error instanceof Error ? error.message : String(error) } },
      code === 'EADDRINUSE' ? 'demo SQL Server not started: the port is in use (set DEMO_MSSQL_PORT, or DEMO_MSSQL=false)' : 'demo SQL Server not started',
    );
    return null;
  }
  logger.info({ host: '127.0.0.1', port: emulator.port, database: DEMO_DATABASE, user: credentials.user }, 'demo SQL Server (emulator) listening');
  try {
    const registered = await registerDemo(services, emulator.port, credentials);
    if (registered) await migrateDemo(services, registered, logger);
  } catch (error) {
    logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'demo SQL Server started but could not be registered');
  }
  return { port: emulator.port, close: () => emulator.close() };
}

/**
 * The demo environment is registered without going through the save procedure, so the base schema
 * (F5) is applied here, on every start: a no-op once current, and new migrations reach the demo too.
 */
async function migrateDemo(services: AppServices, demo: { workspaceId: string; environmentId: string }, logger: Logger): Promise<void> {
  const scope = await services.workspaceMigrations.resolve(demo.workspaceId, demo.environmentId);
  const report = await services.workspaceMigrations.apply(scope, {}, { actor: null, appliedBy: 'studio (demo start)', trigger: 'demo.start' });
  if (report.ok) logger.info({ version: report.to, applied: report.migrations.length }, 'demo SQL Server schema is current');
  else logger.warn({ err: report.error }, 'demo SQL Server schema not applied');
}

async function registerDemo(
  services: AppServices,
  port: number,
  credentials: { user: string; password: string },
): Promise<{ workspaceId: string; environmentId: string } | null> {
  const workspace = await services.workspaces.find({ workspaceSlug: DEMO_WORKSPACE_SLUG });
  if (!workspace) return null;
  const db = services.db;
  const [existing] = await db
    .select({ id: connections.id })
    .from(connections)
    .where(and(eq(connections.workspaceId, workspace.id), eq(connections.name, DEMO_CONNECTION_NAME)));
  let connectionId: string;
  if (existing) {
    // DEMO_MSSQL_PORT=0 moves the port between runs; re-seal in case the key ring rotated.
    await services.connections.update(workspace.id, existing.id, { host: '127.0.0.1', port, user: credentials.user, password: credentials.password, database: DEMO_DATABASE });
    connectionId = existing.id;
  } else {
    const created = await services.connections.create(
      workspace.id,
      {
        name: DEMO_CONNECTION_NAME,
        description: 'The built-in SQL Server emulator started by `pnpm start` (DEMO_MSSQL). A test double, not SQL Server.',
        type: 'mssql',
        host: '127.0.0.1',
        port,
        database: DEMO_DATABASE,
        user: credentials.user,
        password: credentials.password,
        options: { tls: false },
      },
      null,
    );
    connectionId = created.id;
  }
  await services.poolInvalidation.connectionChanged(workspace.id, connectionId);

  const [environment] = await db
    .select({ id: environments.id })
    .from(environments)
    .where(and(eq(environments.workspaceId, workspace.id), eq(environments.name, DEMO_ENVIRONMENT_NAME)));
  if (environment) return { workspaceId: workspace.id, environmentId: environment.id };
  const [anyDefault] = await db
    .select({ id: environments.id })
    .from(environments)
    .where(and(eq(environments.workspaceId, workspace.id), eq(environments.isDefault, true)));
  const plan = await services.environments.prepareSave(workspace.id, null, { name: DEMO_ENVIRONMENT_NAME, connectionId, isDefault: !anyDefault });
  const saved = await services.environments.commitSave(plan, null, null);
  return { workspaceId: workspace.id, environmentId: saved.environment.id };
}
