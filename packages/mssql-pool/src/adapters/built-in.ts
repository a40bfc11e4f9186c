import type { DatabaseType } from '../database-type';
import { mssqlAdapter } from './mssql';
import { mysqlAdapter } from './mysql';
import { postgresAdapter } from './postgres';
import type { DriverAdapter } from './types';

/** The driver behind each database type, for the manager and the probe (either may replace one). */
export const BUILT_IN_ADAPTERS: Readonly<Record<DatabaseType, DriverAdapter>> = {
  mssql: mssqlAdapter as DriverAdapter,
  postgres: postgresAdapter as DriverAdapter,
  mysql: mysqlAdapter as DriverAdapter,
};
