/** Shared test setup: an emulator per test file, and the real server when MSSQL_URL is set. */
import sql from 'mssql';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type EmulatorOptions, type MssqlConfig, type RunningEmulator, parseMssqlUrl, startEmulator } from '../src/index';

export interface Target {
  name: string;
  /** True for the emulator; real-server runs skip emulator-only assertions. */
  emulated: boolean;
  /** The emulator's backend; undefined for a real server. */
  backend?: 'pglite' | 'postgres';
  config(): MssqlConfig;
}

/** Starts one emulator for the calling test file and closes it afterwards. */
export function useEmulator(options: EmulatorOptions = {}): { readonly current: RunningEmulator } {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return {
    get current(): RunningEmulator {
      if (!emulator) throw new Error('emulator not started yet');
      return emulator;
    },
  };
}

/**
 * The PostgreSQL backend's server: PG_URL. CI sets it, and there a missing URL fails the run
 * rather than silently testing one backend; elsewhere the PostgreSQL runs are skipped, saying why.
 */
export function postgresBackendUrl(): string | undefined {
  const url = process.env.PG_URL;
  if (url) return url;
  if (process.env.CI === 'true') throw new Error('PG_URL is not set: under CI the emulator tests also run on the PostgreSQL backend');
  return undefined;
}

export interface DriverTargetOptions {
  /**
   * Run the file on the PostgreSQL backend too. Files whose behaviour depends on the backend
   * (transactions, locking, #temp objects, session reset, compile errors) and the files that pin
   * down the SQL Server behaviour the emulator promises (semantics, T-SQL, types, TDS versions,
   * catalogue, errors) say yes; the rest (login plumbing, 200-connection concurrency, which the
   * server's max_connections would not take) run on PGlite only unless MSSQL_EMULATOR_BACKENDS=all
   * asks for every file on both.
   */
  postgres?: boolean;
  /** Run on PGlite; default true (false: a behaviour PGlite's single connection cannot have). */
  pglite?: boolean;
}

/**
 * The servers a driver-level test file runs against: the emulator on PGlite, the emulator on
 * PostgreSQL (see DriverTargetOptions), plus the real SQL Server named by MSSQL_URL when set.
 */
export function driverTargets(options: EmulatorOptions = {}, which: DriverTargetOptions = {}): Target[] {
  const targets: Target[] = [];
  if (which.pglite ?? true) {
    const emulator = useEmulator(options);
    targets.push({ name: 'emulator', emulated: true, backend: 'pglite', config: () => emulator.current.config });
  }
  if (which.postgres || process.env.MSSQL_EMULATOR_BACKENDS === 'all') {
    const url = postgresBackendUrl();
    if (url) {
      const emulator = useEmulator({ ...options, backend: 'postgres', backendUrl: url });
      targets.push({ name: 'emulator on PostgreSQL', emulated: true, backend: 'postgres', config: () => emulator.current.config });
    } else {
      describe.skip('emulator on PostgreSQL: PG_URL is not set (the PostgreSQL backend needs a server)', () => {
        it('skipped', () => undefined);
      });
    }
  }
  const mssqlUrl = process.env.MSSQL_URL;
  if (mssqlUrl) {
    targets.push({ name: 'MSSQL_URL', emulated: false, config: () => ({ ...parseMssqlUrl(mssqlUrl), options: { trustServerCertificate: true, ...parseMssqlUrl(mssqlUrl).options } }) });
  }
  return targets;
}

/** Opens a pool for the target and closes it after the file. */
export function usePool(target: Target, extra: Partial<sql.config> = {}): { readonly pool: sql.ConnectionPool } {
  let pool: sql.ConnectionPool | undefined;
  beforeAll(async () => {
    pool = await new sql.ConnectionPool({ ...target.config(), ...extra } as sql.config).connect();
  });
  afterAll(async () => {
    await pool?.close();
  });
  return {
    get pool(): sql.ConnectionPool {
      if (!pool) throw new Error('pool not connected yet');
      return pool;
    },
  };
}

/** A name unique to this test run, for tables and procedures on a shared real server. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function connect(config: MssqlConfig | sql.config): Promise<sql.ConnectionPool> {
  return new sql.ConnectionPool(config as sql.config).connect();
}

/** mssql types `recordsets` as array-or-dictionary; for queries it is always an array. */
export function recordsets(result: { recordsets: unknown }): unknown[][] {
  return result.recordsets as unknown as unknown[][];
}
