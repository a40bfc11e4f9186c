// Tables, enums, relations and row types. Importing this module never opens a connection.
export * from './enums';
export * from './auth';
export * from './workspaces';
export * from './connections';
export * from './environments';
export * from './stored-procedures';
export * from './procedure-deployments';
export * from './console';
export * from './api-tokens';
export * from './audit';
export * from './projects';
export * from './imports';
export * from './workspace-migrations';
export * from './backups';
export * from './relations';
