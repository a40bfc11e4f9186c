/** Shared test setup: an emulator per test file, and the real server when MSSQL_URL is set. */
import sql from 'mssql';
import { afterAll, beforeAll } from 'vitest';
import { type EmulatorOptions, type MssqlConfig, type RunningEmulator, parseMssqlUrl, startEmulator } from '../src/index';

export interface Target {
  name: string;
  /** True for the emulator; real-server runs skip emulator-only assertions. */
  emulated: boolean;
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
 * The servers a driver-level test file runs against: always the emulator, plus the real SQL
 * Server named by MSSQL_URL when it is set.
 */
export function driverTargets(options: EmulatorOptions = {}): Target[] {
  const emulator = useEmulator(options);
  const targets: Target[] = [{ name: 'emulator', emulated: true, config: () => emulator.current.config }];
  const url = process.env.MSSQL_URL;
  if (url) {
    targets.push({ name: 'MSSQL_URL', emulated: false, config: () => ({ ...parseMssqlUrl(url), options: { trustServerCertificate: true, ...parseMssqlUrl(url).options } }) });
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
