export type DatabaseType = 'mssql' | 'postgres' | 'mysql';

export const DEFAULT_PORTS: Record<DatabaseType, number> = { mssql: 1433, postgres: 5432, mysql: 3306 };
