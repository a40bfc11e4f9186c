// TDS version negotiation as SQL Server does it: the LOGINACK names the version both sides speak
// (the lower of the client's and the server's), and the tokens that follow are ones that version
// knows. Versions older than 7.3 are refused at login with a message naming them (a known
// difference: SQL Server 2022 still answers 7.1 and 7.2 clients, with MAX and date types
// down-converted, which the emulator does not do).
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { Connection } from 'tedious';
import type { MssqlConfig } from '../src/index';
import { connect, driverTargets } from './helpers';

const targets = driverTargets({ databases: ['app'] }, { postgres: true });

type TdsVersion = '7_1' | '7_2' | '7_3_A' | '7_3_B' | '7_4';

/** Logs in with tedious itself and returns the version the LOGINACK settled on. */
function acknowledgedVersion(config: MssqlConfig, tdsVersion: TdsVersion): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = new Connection({
      server: config.server,
      authentication: { type: 'default', options: { userName: config.user, password: config.password } },
      options: { port: config.port, database: config.database, tdsVersion, trustServerCertificate: true, encrypt: true },
    });
    connection.on('connect', (error) => {
      if (error) reject(error);
      else resolve(connection.config.options.tdsVersion);
      connection.close();
    });
    connection.connect();
  });
}

describe.each(targets)('TDS version negotiation against $name', (target) => {
  const open = (tdsVersion: TdsVersion) => connect({ ...target.config(), options: { ...target.config().options, tdsVersion } });

  it.each(['7_3_A', '7_3_B', '7_4'] as const)('a %s client logs in and reads date and time types', async (tdsVersion) => {
    const pool = await open(tdsVersion);
    try {
      const r = await pool.request().query(
        "SELECT CAST('2026-12-04' AS date) AS d, CAST('13:14:15.1234567' AS time(7)) AS t, CAST('2026-12-04T13:14:15.1234567' AS datetime2(7)) AS dt2, N'ok' AS s",
      );
      const row = r.recordset[0] as { d: Date; t: Date; dt2: Date; s: string };
      expect(row.d.toISOString()).toBe('2026-12-04T00:00:00.000Z');
      expect(row.t.toISOString()).toBe('1970-01-01T13:14:15.123Z');
      expect(row.dt2.toISOString()).toBe('2026-12-04T13:14:15.123Z');
      expect(row.s).toBe('ok');
      const rpc = await pool.request().input('n', sql.Int, 41).query('SELECT @n + 1 AS answer');
      expect(rpc.recordset).toEqual([{ answer: 42 }]);
    } finally {
      await pool.close();
    }
  });

  it.each(['7_3_A', '7_3_B', '7_4'] as const)('acknowledges a %s client with its own version', async (tdsVersion) => {
    expect(await acknowledgedVersion(target.config(), tdsVersion)).toBe(tdsVersion);
  });

  it.runIf(target.emulated).each(['7_1', '7_2'] as const)('a %s client is refused at login with a message naming the version, not a crash', async (tdsVersion) => {
    const error = await open(tdsVersion).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect((error as sql.ConnectionError).code).toBe('ELOGIN');
    expect((error as Error).message).toMatch(/TDS protocol version 7\.[12] .*not supported.*7\.3/);
  });
});
