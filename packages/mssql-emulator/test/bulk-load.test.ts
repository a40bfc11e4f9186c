import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool } from './helpers';

const targets = driverTargets({}, { postgres: true });

interface ItemRow {
  id: number;
  name: string | null;
  price: string | null;
  seen: Date | null;
  flag: boolean | null;
}

describe.each(targets)('TDS bulk load (request.bulk) against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('bulk');

  beforeAll(async () => {
    await conn.pool.request().batch(
      `CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, name NVARCHAR(10) NULL, price DECIMAL(10,2) NULL,
        seen DATETIME2(3) NULL, flag BIT NOT NULL DEFAULT 1)`,
    );
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  function bulkTable(rows: Array<[number, string | null, number | null, Date | null, boolean | null]>, name = table): sql.Table {
    const t = new sql.Table(name);
    t.columns.add('id', sql.Int, { nullable: false });
    t.columns.add('name', sql.NVarChar(10), { nullable: true });
    t.columns.add('price', sql.Decimal(10, 2), { nullable: true });
    t.columns.add('seen', sql.DateTime2(3), { nullable: true });
    t.columns.add('flag', sql.Bit, { nullable: true });
    for (const r of rows) t.rows.add(...r);
    return t;
  }

  async function rowsWhere(where: string): Promise<ItemRow[]> {
    const r = await conn.pool.request().query<ItemRow>(`SELECT id, name, CAST(price AS VARCHAR(20)) AS price, seen, flag FROM ${table} WHERE ${where} ORDER BY id`);
    return r.recordset;
  }

  it('loads every row and answers with the row count', async () => {
    const seen = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const result = await conn.pool.request().bulk(
      bulkTable([
        [1, 'één', 12.5, seen, true],
        [2, null, null, null, false],
        [3, 'x"\\y,z', -0.01, seen, true],
      ]),
    );
    expect(result.rowsAffected).toBe(3);
    expect(await rowsWhere('id <= 3')).toEqual([
      { id: 1, name: 'één', price: '12.50', seen, flag: true },
      { id: 2, name: null, price: null, seen: null, flag: false },
      { id: 3, name: 'x"\\y,z', price: '-0.01', seen, flag: true },
    ]);
  });

  it('puts the column default in place of NULL unless keepNulls is set', async () => {
    await conn.pool.request().bulk(bulkTable([[10, 'dflt', 1, null, null]]));
    expect((await rowsWhere('id = 10'))[0]?.flag).toBe(true);
    const refused = await conn.pool.request().bulk(bulkTable([[11, 'keep', 1, null, null]]), { keepNulls: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(sql.RequestError);
    expect((refused as sql.RequestError).number).toBe(515);
    expect(await rowsWhere('id = 11')).toEqual([]);
  });

  it('refuses a value longer than its column with 4815 and loads none of the rows', async () => {
    const err = await conn.pool
      .request()
      .bulk(bulkTable([[20, 'ok', 1, null, true], [21, 'much too long', 1, null, true]]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sql.RequestError);
    expect((err as sql.RequestError).number).toBe(4815);
    expect((err as sql.RequestError).message).toBe('Received an invalid column length from the bcp client for colid 2.');
    expect(await rowsWhere('id IN (20, 21)')).toEqual([]);
  });

  it('refuses a column type that cannot go into its target with 4816', async () => {
    const t = new sql.Table(table);
    t.columns.add('id', sql.Int, { nullable: false });
    t.columns.add('seen', sql.VarBinary(10), { nullable: true });
    t.rows.add(30, Buffer.from([1, 2]));
    const err = await conn.pool.request().bulk(t).catch((e: unknown) => e);
    expect((err as sql.RequestError).number).toBe(4816);
    expect((err as sql.RequestError).message).toBe('Invalid column type from bcp client for colid 2.');
  });

  it('refuses an unknown table (208) and an unknown column (207)', async () => {
    const missing = await conn.pool.request().bulk(bulkTable([[1, null, null, null, true]], uniqueName('missing'))).catch((e: unknown) => e);
    expect((missing as sql.RequestError).number).toBe(208);
    const t = new sql.Table(table);
    t.columns.add('id', sql.Int, { nullable: false });
    t.columns.add('nope', sql.Int, { nullable: true });
    t.rows.add(40, 1);
    const column = await conn.pool.request().bulk(t).catch((e: unknown) => e);
    expect((column as sql.RequestError).number).toBe(207);
    expect((column as sql.RequestError).message).toBe("Invalid column name 'nope'.");
  });

  it('fails a duplicate key as one statement (2627) and leaves the connection usable', async () => {
    const err = await conn.pool.request().bulk(bulkTable([[50, 'a', 1, null, true], [1, 'dup', 1, null, true]])).catch((e: unknown) => e);
    expect((err as sql.RequestError).number).toBe(2627);
    expect(await rowsWhere('id = 50')).toEqual([]);
  });

  it('is rolled back with the transaction it ran in, and kept when it commits', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    const loaded = await new sql.Request(tx).bulk(bulkTable([[60, 'tx', 1, null, true]]), { tableLock: true, checkConstraints: true });
    expect(loaded.rowsAffected).toBe(1);
    const inside = await new sql.Request(tx).query(`SELECT COUNT(*) AS n FROM ${table} WHERE id = 60`);
    expect(inside.recordset[0].n).toBe(1);
    await tx.rollback();
    expect(await rowsWhere('id = 60')).toEqual([]);

    const again = new sql.Transaction(conn.pool);
    await again.begin();
    await new sql.Request(again).bulk(bulkTable([[61, 'tx', 1, null, true]]));
    const failed = await new sql.Request(again).bulk(bulkTable([[62, 'much too long', 1, null, true]])).catch((e: unknown) => e);
    expect((failed as sql.RequestError).number).toBe(4815);
    await again.commit();
    expect((await rowsWhere('id IN (61, 62)')).map((r) => r.id)).toEqual([61]);
  });

  it('loads a #temp table of the session, and many rows in one message', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    await new sql.Request(tx).batch('CREATE TABLE #stage (k INT NOT NULL, v NVARCHAR(20) NULL)');
    const t = new sql.Table('#stage');
    t.columns.add('k', sql.Int, { nullable: false });
    t.columns.add('v', sql.NVarChar(20), { nullable: true });
    for (let k = 0; k < 12_000; k++) t.rows.add(k, k % 7 === 0 ? null : `v${k}`);
    const loaded = await new sql.Request(tx).bulk(t);
    expect(loaded.rowsAffected).toBe(12_000);
    const r = await new sql.Request(tx).query('SELECT COUNT(*) AS n, COUNT(v) AS v, MAX(k) AS k FROM #stage');
    expect(r.recordset[0]).toEqual({ n: 12_000, v: 12_000 - Math.ceil(12_000 / 7), k: 11_999 });
    await tx.rollback();
  });
});
