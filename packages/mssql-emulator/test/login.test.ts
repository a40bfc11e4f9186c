import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { connect, driverTargets } from './helpers';

const targets = driverTargets({ databases: ['app'], users: [{ user: 'sa', password: 'Emulator-Passw0rd!' }, { user: 'limited', password: 'L1mited!pw', databases: ['app'] }] });

describe.each(targets)('login against $name', (target) => {
  it('connects with default client options and runs SELECT 1 both ways', async () => {
    const pool = await connect(target.config());
    try {
      const viaRpc = await pool.request().query('SELECT 1');
      expect(viaRpc.recordset).toEqual([{ '': 1 }]);
      const viaBatch = await pool.request().batch('SELECT 1 AS one');
      expect(viaBatch.recordset).toEqual([{ one: 1 }]);
    } finally {
      await pool.close();
    }
  });

  it('reports the server through @@VERSION, DB_NAME() and SERVERPROPERTY', async () => {
    const pool = await connect(target.config());
    try {
      const r = await pool.request().query("SELECT @@VERSION AS version, DB_NAME() AS db, CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS productVersion");
      const row = r.recordset[0] as { version: string; db: string; productVersion: string };
      expect(row.version).toMatch(/^Microsoft SQL Server/);
      expect(row.db).toBe(target.config().database);
      expect(row.productVersion).toMatch(/^\d+\.\d+\.\d+/);
      if (target.emulated) expect(row.version).toContain('emulated by @studio/mssql-emulator');
    } finally {
      await pool.close();
    }
  });

  it('fails a wrong password with 18456 and SQL Server\'s message', async () => {
    const config = { ...target.config(), password: 'definitely-wrong' };
    const error = await connect(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect((error as sql.ConnectionError).code).toBe('ELOGIN');
    expect((error as Error).message).toBe(`Login failed for user '${config.user}'.`);
  });

  it('fails an unknown user with 18456', async () => {
    const error = await connect({ ...target.config(), user: 'nobody_here' }).catch((e: unknown) => e);
    expect((error as sql.ConnectionError).code).toBe('ELOGIN');
    expect((error as Error).message).toBe("Login failed for user 'nobody_here'.");
  });

  it('fails an unknown database with 4060 then 18456 (the client reports the last)', async () => {
    const config = { ...target.config(), database: 'no_such_database_xyz' };
    const error = await connect(config).catch((e: unknown) => e);
    expect((error as sql.ConnectionError).code).toBe('ELOGIN');
    expect((error as Error).message).toBe(`Login failed for user '${config.user}'.`);
    const original = (error as { originalError?: { message?: string } }).originalError;
    expect(original?.message).toBe(`Login failed for user '${config.user}'.`);
  });
});

describe('login against the emulator only', () => {
  const emulator = targets[0];
  it('sends 4060 before 18456 for a database the login may not open', async () => {
    const base = emulator!.config();
    const error = await connect({ ...base, user: 'limited', password: 'L1mited!pw', database: 'master' }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("Login failed for user 'limited'.");
    const pool = await connect({ ...base, user: 'limited', password: 'L1mited!pw', database: 'app' });
    const r = await pool.request().query('SELECT DB_NAME() AS db, SUSER_SNAME() AS login');
    expect(r.recordset).toEqual([{ db: 'app', login: 'limited' }]);
    await pool.close();
  });

  it('runs the tedious initial SET batch and USE switches database', async () => {
    const pool = await connect(emulator!.config());
    const r = await pool.request().batch('USE app; SELECT DB_NAME() AS db');
    expect(r.recordset).toEqual([{ db: 'app' }]);
    await pool.close();
  });
});
