// ALTER LOGIN … WITH PASSWORD: what a password rotation does on the server. Emulator only: on a
// real server this would change a real login's password.
import type sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { connect, useEmulator } from './helpers';

const SA_PASSWORD = 'Emulator-Passw0rd!';
const emulator = useEmulator({ databases: ['app'], users: [{ user: 'sa', password: SA_PASSWORD }, { user: 'app', password: 'Old-Passw0rd' }] });

function configFor(user: string, password: string): sql.config {
  return { ...emulator.current.config, user, password } as sql.config;
}

async function loginError(user: string, password: string): Promise<unknown> {
  return connect(configFor(user, password)).then(
    async (pool) => {
      await pool.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('ALTER LOGIN … WITH PASSWORD', () => {
  it('sa changes another login\'s password: new logins need it, sessions already open stay', async () => {
    const admin = await connect(configFor('sa', SA_PASSWORD));
    const app = await connect(configFor('app', 'Old-Passw0rd'));
    try {
      // A session of the pool's own (mssql's connect() closes the one it logged in with).
      await app.request().query('SELECT 1 AS one');
      await admin.request().batch("ALTER LOGIN app WITH PASSWORD = N'New-Passw0rd'");
      expect((await app.request().query('SELECT 1 AS one')).recordset).toEqual([{ one: 1 }]);
      const refused = (await loginError('app', 'Old-Passw0rd')) as sql.ConnectionError;
      expect([refused.code, refused.message]).toEqual(['ELOGIN', "Login failed for user 'app'."]);
      expect(await loginError('app', 'New-Passw0rd')).toBeUndefined();
      // A bracketed name and a trailing semicolon parse the same way.
      await admin.request().batch("ALTER LOGIN [app] WITH PASSWORD = 'Old-Passw0rd';");
      expect(await loginError('app', 'Old-Passw0rd')).toBeUndefined();
    } finally {
      await app.close();
      await admin.close();
    }
  });

  it('a login changes its own password only with the right OLD_PASSWORD; every refusal is 15151', async () => {
    const app = await connect(configFor('app', 'Old-Passw0rd'));
    try {
      const refusal = { number: 15151, class: 16, message: "Cannot alter the login 'app', because it does not exist or you do not have permission." };
      await expect(app.request().batch("ALTER LOGIN app WITH PASSWORD = 'Mine-Passw0rd'")).rejects.toMatchObject(refusal);
      await expect(app.request().batch("ALTER LOGIN app WITH PASSWORD = 'Mine-Passw0rd' OLD_PASSWORD = 'wrong'")).rejects.toMatchObject(refusal);
      await expect(app.request().batch("ALTER LOGIN sa WITH PASSWORD = 'Mine-Passw0rd'")).rejects.toMatchObject({ number: 15151, message: "Cannot alter the login 'sa', because it does not exist or you do not have permission." });
      await expect(app.request().batch("ALTER LOGIN nobody WITH PASSWORD = 'x'")).rejects.toMatchObject({ number: 15151 });
      await app.request().batch("ALTER LOGIN app WITH PASSWORD = 'Mine-Passw0rd' OLD_PASSWORD = 'Old-Passw0rd'");
      expect(await loginError('app', 'Mine-Passw0rd')).toBeUndefined();
      await app.request().batch("ALTER LOGIN app WITH PASSWORD = 'Old-Passw0rd' OLD_PASSWORD = 'Mine-Passw0rd'");
    } finally {
      await app.close();
    }
  });

  it('a refusal inside a procedure reports the line SQL Server does, as any other error there', async () => {
    const admin = await connect(configFor('sa', SA_PASSWORD));
    const header = '-- the procedure does not start on the first line of its batch\n\n';
    const body = (statement: string) => `${header}CREATE PROCEDURE %NAME%\nAS\nBEGIN\n  SELECT 1 AS first;\n  ${statement};\nEND`;
    try {
      await admin.request().batch(body("ALTER LOGIN nobody WITH PASSWORD = 'x'").replace('%NAME%', 'rotate_missing'));
      await admin.request().batch(body("THROW 50010, N'thrown', 1").replace('%NAME%', 'throw_there'));
      const refused = await admin.request().execute('rotate_missing').then(() => undefined, (e: unknown) => e);
      const thrown = await admin.request().execute('throw_there').then(() => undefined, (e: unknown) => e);
      // Line 7 of the batch that created it, the same as a THROW in its place.
      expect(refused).toMatchObject({ number: 15151, procName: 'rotate_missing', lineNumber: 7 });
      expect(thrown).toMatchObject({ number: 50010, procName: 'throw_there', lineNumber: 7 });
    } finally {
      await admin.request().batch('DROP PROCEDURE rotate_missing; DROP PROCEDURE throw_there;').catch(() => undefined);
      await admin.close();
    }
  });

  it('other ALTER LOGIN forms are unsupported (40517), not silently ignored', async () => {
    const admin = await connect(configFor('sa', SA_PASSWORD));
    try {
      for (const statement of ['ALTER LOGIN app DISABLE', "ALTER LOGIN app WITH DEFAULT_DATABASE = app", "ALTER LOGIN app WITH PASSWORD = 'x', CHECK_POLICY = OFF", 'ALTER LOGIN app WITH PASSWORD = 0x0200 HASHED']) {
        await expect(admin.request().batch(statement), statement).rejects.toMatchObject({ number: 40517 });
      }
      expect(await loginError('app', 'Old-Passw0rd')).toBeUndefined();
    } finally {
      await admin.close();
    }
  });
});
