import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool } from './helpers';

const targets = driverTargets({}, { postgres: true });

async function failure(p: Promise<unknown>): Promise<sql.RequestError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(sql.RequestError);
  return e as sql.RequestError;
}

describe.each(targets)('MERGE (the upsert shape) against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('merge');

  beforeAll(async () => {
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, name NVARCHAR(20) NULL, qty INT NOT NULL)`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  async function contents(): Promise<unknown[]> {
    return (await conn.pool.request().query(`SELECT id, name, qty FROM ${table} ORDER BY id`)).recordset;
  }

  it('updates matched keys, inserts the others from a #staging table, and counts both', async () => {
    await conn.pool.request().batch(`DELETE FROM ${table}; INSERT INTO ${table} VALUES (1, N'one', 1), (2, N'two', 2)`);
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    await new sql.Request(tx).batch(`CREATE TABLE #staging (id INT NOT NULL, name NVARCHAR(20) NULL, qty INT NOT NULL);
      INSERT INTO #staging VALUES (2, N'TWO', 20), (3, N'three', 30), (4, NULL, 40)`);
    const r = await new sql.Request(tx).query(`MERGE ${table} WITH (HOLDLOCK) AS t USING #staging AS s ON (t.id = s.id)
      WHEN MATCHED THEN UPDATE SET t.name = s.name, qty = s.qty
      WHEN NOT MATCHED BY TARGET THEN INSERT (id, name, qty) VALUES (s.id, s.name, s.qty);`);
    expect(r.rowsAffected).toEqual([3]);
    await new sql.Request(tx).batch('DROP TABLE #staging');
    await tx.commit();
    expect(await contents()).toEqual([
      { id: 1, name: 'one', qty: 1 },
      { id: 2, name: 'TWO', qty: 20 },
      { id: 3, name: 'three', qty: 30 },
      { id: 4, name: null, qty: 40 },
    ]);
  });

  it('takes conditions on its WHEN clauses and DELETE, and a derived source', async () => {
    await conn.pool.request().batch(`DELETE FROM ${table}; INSERT INTO ${table} VALUES (1, N'one', 1), (2, N'two', 2)`);
    const r = await conn.pool.request().batch(`MERGE INTO ${table} AS t
      USING (SELECT 1 AS id, 0 AS qty UNION ALL SELECT 2, 5 UNION ALL SELECT 9, 9) AS s ON t.id = s.id
      WHEN MATCHED AND s.qty = 0 THEN DELETE
      WHEN MATCHED THEN UPDATE SET qty = t.qty + s.qty
      WHEN NOT MATCHED AND s.qty > 100 THEN INSERT (id, qty) VALUES (s.id, s.qty);`);
    expect(r.rowsAffected).toEqual([2]);
    expect(await contents()).toEqual([{ id: 2, name: 'two', qty: 7 }]);
  });

  it('requires its terminating semicolon (10713)', async () => {
    const e = await failure(conn.pool.request().batch(`MERGE ${table} AS t USING ${table} AS s ON t.id = s.id WHEN MATCHED THEN DELETE`));
    expect({ number: e.number, message: e.message }).toEqual({ number: 10713, message: 'A MERGE statement must be terminated by a semi-colon (;).' });
  });

  it('refuses to update one target row from two source rows (8672), changing nothing', async () => {
    await conn.pool.request().batch(`DELETE FROM ${table}; INSERT INTO ${table} VALUES (1, N'one', 1)`);
    const e = await failure(
      conn.pool.request().batch(`MERGE ${table} AS t USING (SELECT 1 AS id, 5 AS qty UNION ALL SELECT 1, 6) AS s ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET qty = s.qty;`),
    );
    expect(e.number).toBe(8672);
    expect(await contents()).toEqual([{ id: 1, name: 'one', qty: 1 }]);
  });
});

describe('MERGE outside the subset (emulator)', () => {
  const conn = usePool(targets[0]!);

  it.each([
    ['WHEN NOT MATCHED BY SOURCE', 'MERGE t AS t USING s AS s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE;'],
    ['OUTPUT', 'MERGE t AS t USING s AS s ON t.id = s.id WHEN MATCHED THEN DELETE OUTPUT deleted.id;'],
    ['TOP', 'MERGE TOP (1) t AS t USING s AS s ON t.id = s.id WHEN MATCHED THEN DELETE;'],
  ])('%s fails with 40517 naming it', async (construct, text) => {
    const e = await failure(conn.pool.request().batch(text));
    expect(e.number).toBe(40517);
    expect(e.message).toContain(`MERGE … ${construct}`);
  });
});
