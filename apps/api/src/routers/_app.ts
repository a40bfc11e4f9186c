import { accessRouter } from './access';
import { accountRouter } from './account';
import { auditRouter } from './audit';
import { authRouter } from './auth';
import { backupsRouter } from './backups';
import { connectionsRouter } from './connections/_router';
import { consoleRouter } from './console/_router';
import { environmentsRouter } from './environments/_router';
import { healthRouter } from './health';
import { projectsRouter } from './projects/_router';
import { importsRouter } from './imports';
import { tokensRouter } from './tokens';
import { usersRouter } from './users';
import { workspacesRouter } from './workspaces';
import { workspaceMigrationsRouter } from './workspaceMigrations';
import { sqlEditorRouter } from './sqlEditor/_router';
import { router } from '../trpc';

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  account: accountRouter,
  users: usersRouter,
  workspaces: workspacesRouter,
  connections: connectionsRouter,
  environments: environmentsRouter,
  access: accessRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  sqlEditor: sqlEditorRouter,
  console: consoleRouter,
  workspaceMigrations: workspaceMigrationsRouter,
  backups: backupsRouter,
  projects: projectsRouter,
  imports: importsRouter,
});

export type AppRouter = typeof appRouter;
