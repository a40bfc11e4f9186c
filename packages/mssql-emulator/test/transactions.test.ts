import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

// Transactions, locks, #temp objects and compile errors are the backend's: this file runs on both.
const targets = driverTargets({}, { postgres: true });

describe.each(targets)('transactions against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('tx');

  beforeAll(async () => {
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(50) NOT NULL)`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  async function count(name: string): Promise<number> {
    const r = await conn.pool.request().input('n', name).query(`SELECT COUNT(*) AS n FROM ${table} WHERE name = @n`);
    return r.recordset[0].n as number;
  }

  it('commits through the driver (TRANSACTION_MANAGER) and sets @@TRANCOUNT', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    const inside = await new sql.Request(tx).query('SELECT @@TRANCOUNT AS c');
    expect(inside.recordset[0].c).toBe(1);
    await new sql.Request(tx).input('n', 'committed').query(`INSERT INTO ${table} (name) VALUES (@n)`);
    await tx.commit();
    expect(await count('committed')).toBe(1);
    const after = await conn.pool.request().query('SELECT @@TRANCOUNT AS c');
    expect(after.recordset[0].c).toBe(0);
  });

  it('rolls back through the driver', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    await new sql.Request(tx).input('n', 'rolled back').query(`INSERT INTO ${table} (name) VALUES (@n)`);
    await tx.rollback();
    expect(await count('rolled back')).toBe(0);
  });

  it('keeps the transaction usable after a failed statement', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    await new sql.Request(tx).input('n', 'survivor').query(`INSERT INTO ${table} (name) VALUES (@n)`);
    const error = await new sql.Request(tx).query(`INSERT INTO ${table} (name) VALUES (NULL)`).catch((e: unknown) => e);
    expect((error as sql.RequestError).number).toBe(515);
    await tx.commit();
    expect(await count('survivor')).toBe(1);
  });

  it('answers @@TRANCOUNT guards in and out of a transaction', async () => {
    const r = await conn.pool.request().batch(`
      IF @@TRANCOUNT > 0 SELECT 'open' AS s ELSE SELECT 'none' AS s
      BEGIN TRANSACTION
      IF (@@TRANCOUNT = 1) SELECT 'one' AS s
      IF @@TRANCOUNT <> 1 SELECT 'not one' AS s
      IF @@TRANCOUNT !> 0 SELECT 'none inside' AS s
      IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION
      SELECT @@TRANCOUNT AS after_guard`);
    expect(recordsets(r)).toEqual([[{ s: 'none' }], [{ s: 'one' }], [{ after_guard: 0 }]]);
  });

  it('forgets a procedure changed in a rolled-back transaction, and keeps serving the committed one', async () => {
    const proc = uniqueName('tx_proc');
    await conn.pool.request().batch(`CREATE PROCEDURE ${proc} AS SELECT 1 AS v`);
    try {
      expect((await conn.pool.request().query(`EXEC ${proc}`)).recordset).toEqual([{ v: 1 }]);
      const readOnly = new sql.Transaction(conn.pool);
      await readOnly.begin();
      expect((await new sql.Request(readOnly).query(`EXEC ${proc}`)).recordset).toEqual([{ v: 1 }]);
      await readOnly.rollback();
      const tx = new sql.Transaction(conn.pool);
      await tx.begin();
      await new sql.Request(tx).batch(`DROP PROCEDURE ${proc}`);
      await new sql.Request(tx).batch(`CREATE PROCEDURE ${proc} AS SELECT 2 AS v`);
      expect((await new sql.Request(tx).query(`EXEC ${proc}`)).recordset).toEqual([{ v: 2 }]);
      await tx.rollback();
      expect((await conn.pool.request().query(`EXEC ${proc}`)).recordset).toEqual([{ v: 1 }]);
    } finally {
      await conn.pool.request().batch(`DROP PROCEDURE ${proc}`);
    }
  });

  it('supports T-SQL BEGIN/COMMIT/ROLLBACK TRAN and nesting in one batch', async () => {
    const r = await conn.pool.request().batch(`
      BEGIN TRAN
      INSERT INTO ${table} (name) VALUES (N'tsql-rolled')
      BEGIN TRANSACTION
      SELECT @@TRANCOUNT AS nested
      COMMIT
      SELECT @@TRANCOUNT AS outer_count
      ROLLBACK TRAN
      SELECT @@TRANCOUNT AS after_rollback
      BEGIN TRAN
      INSERT INTO ${table} (name) VALUES (N'tsql-committed')
      COMMIT TRANSACTION
    `);
    expect(recordsets(r).map((rs) => rs[0])).toEqual([{ nested: 2 }, { outer_count: 1 }, { after_rollback: 0 }]);
    expect(await count('tsql-rolled')).toBe(0);
    expect(await count('tsql-committed')).toBe(1);
  });

  it('reports COMMIT without BEGIN as 3902', async () => {
    const error = await conn.pool.request().batch('COMMIT').catch((e: unknown) => e);
    expect((error as sql.RequestError).number).toBe(3902);
  });

  it('returns SCOPE_IDENTITY() after an insert', async () => {
    const r = await conn.pool.request().query(`INSERT INTO ${table} (name) VALUES (N'identity'); SELECT CAST(SCOPE_IDENTITY() AS INT) AS id`);
    const id = r.recordset[0].id as number;
    const check = await conn.pool.request().input('id', id).query(`SELECT name FROM ${table} WHERE id = @id`);
    expect(check.recordset).toEqual([{ name: 'identity' }]);
  });
});

describe('transactions: isolation between sessions (emulator)', () => {
  const emulatorTarget = targets[0]!;
  const conn = usePool(emulatorTarget, { pool: { max: 4 } });

  it('serialises another session behind an open transaction', async () => {
    const table = uniqueName('iso');
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT)`);
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    await new sql.Request(tx).query(`INSERT INTO ${table} VALUES (1)`);
    let done = false;
    const other = conn.pool
      .request()
      .query(`SELECT COUNT(*) AS n FROM ${table}`)
      .then((r) => {
        done = true;
        return r.recordset[0].n as number;
      });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    await tx.commit();
    expect(await other).toBe(1);
  });
});
