import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

const targets = driverTargets({}, { postgres: true });

describe.each(targets)('T-SQL semantics against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('sem');

  beforeAll(async () => {
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, code CHAR(5) NULL, label VARCHAR(20) NULL)`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  it('gives CAST and CONVERT to a character type without a length 30 characters', async () => {
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const r = await conn.pool.request().input('t', sql.NVarChar(100), text).query(
      "SELECT CONVERT(nvarchar, @t) AS c, CONVERT(varchar, @t) AS v, CAST(@t AS nvarchar) AS n, CONVERT(varchar(3), @t) AS three",
    );
    expect(r.recordset).toEqual([{ c: text.slice(0, 30), v: text.slice(0, 30), n: text.slice(0, 30), three: 'abc' }]);
  });

  it('takes INSERT without INTO and keeps CHAR(n) padding', async () => {
    try {
      const r = await conn.pool.request().batch(`INSERT ${table} VALUES (1, 'ab', 'one'); INSERT ${table} (id, label) VALUES (2, 'two'); SELECT id, code, label FROM ${table} ORDER BY id`);
      expect(r.rowsAffected.slice(0, 2)).toEqual([1, 1]);
      expect(r.recordset).toEqual([
        { id: 1, code: 'ab   ', label: 'one' },
        { id: 2, code: null, label: 'two' },
      ]);
      const cast = await conn.pool.request().query(`SELECT CAST(code AS varchar(10)) AS v FROM ${table} WHERE id = 1`);
      expect(cast.recordset).toEqual([{ v: 'ab   ' }]);
    } finally {
      await conn.pool.request().batch(`DELETE FROM ${table}`);
    }
  });

  it('converts binary data to characters byte for byte', async () => {
    const r = await conn.pool
      .request()
      .input('b', sql.VarBinary(20), Buffer.from('from a driver'))
      .query(`SELECT CAST(0x414243 AS varchar(10)) AS cast_to, CONVERT(varchar(10), 0x616263) AS convert_to,
        CONVERT(nvarchar(10), 0x41004200) AS wide, CAST(@b AS varchar(20)) AS param,
        CONVERT(varchar(10), 0x4142, 1) AS hex, CONVERT(varchar(10), 0x4142, 2) AS bare, CAST(0x80 AS varchar(1)) AS code_page`);
    expect(r.recordset).toEqual([{ cast_to: 'ABC', convert_to: 'abc', wide: 'AB', param: 'from a driver', hex: '0x4142', bare: '4142', code_page: '€' }]);
  });

  it('stores strings a batch sends as 0x… literals as their characters', async () => {
    try {
      const r = await conn.pool.request().batch(`
        DECLARE @s varchar(20) = 0x68656C6C6F;
        INSERT INTO ${table} (id, label) VALUES (1, CONVERT(varchar(20), 0x776F726C64));
        INSERT INTO ${table} (id, label) VALUES (2, 0x6279746573);
        INSERT INTO ${table} (id, label) VALUES (3, @s);
        SELECT id, label FROM ${table} ORDER BY id`);
      expect(r.recordset).toEqual([
        { id: 1, label: 'world' },
        { id: 2, label: 'bytes' },
        { id: 3, label: 'hello' },
      ]);
    } finally {
      await conn.pool.request().batch(`DELETE FROM ${table}`);
    }
  });

  it('ignores trailing spaces when it compares strings', async () => {
    try {
      await conn.pool.request().batch(`INSERT INTO ${table} (id, code, label) VALUES (1, 'ab', 'one  '), (2, 'cd', 'two')`);
      const r = await conn.pool.request().input('p', sql.NVarChar(10), 'one   ').query(`SELECT
        (SELECT COUNT(*) FROM ${table} WHERE label = 'one') AS literal,
        (SELECT COUNT(*) FROM ${table} WHERE label = @p) AS param,
        (SELECT COUNT(*) FROM ${table} WHERE label IN ('one', 'x')) AS in_list,
        (SELECT COUNT(*) FROM ${table} WHERE label <> 'one') AS not_equal,
        (SELECT COUNT(*) FROM ${table} a JOIN ${table} b ON a.label = RTRIM(b.label)) AS joined,
        CASE WHEN 'x' = 'x   ' THEN 1 ELSE 0 END AS literals,
        CASE WHEN N'x ' = 'x' THEN 1 ELSE 0 END AS unicode`);
      expect(r.recordset).toEqual([{ literal: 1, param: 1, in_list: 1, not_equal: 1, joined: 2, literals: 1, unicode: 1 }]);
    } finally {
      await conn.pool.request().batch(`DELETE FROM ${table}`);
    }
  });

  it('runs a recursive CTE', async () => {
    const r = await conn.pool.request().query('WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 4) SELECT i FROM n ORDER BY i');
    expect(r.recordset).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
  });

  it('runs WITH … INSERT, UPDATE and DELETE', async () => {
    try {
      const r = await conn.pool.request().batch(`
        WITH src AS (SELECT 1 AS id, 'a' AS label UNION ALL SELECT 2, 'b' UNION ALL SELECT 3, 'c')
        INSERT INTO ${table} (id, label) SELECT id, label FROM src;
        WITH odd AS (SELECT id FROM ${table} WHERE id % 2 = 1)
        UPDATE ${table} SET label = 'odd' WHERE id IN (SELECT id FROM odd);
        WITH first AS (SELECT MIN(id) AS id FROM ${table})
        DELETE FROM ${table} WHERE id IN (SELECT id FROM first);
        SELECT id, label FROM ${table} ORDER BY id`);
      expect(r.rowsAffected.slice(0, 3)).toEqual([3, 2, 1]);
      expect(r.recordset).toEqual([
        { id: 2, label: 'b' },
        { id: 3, label: 'odd' },
      ]);
    } finally {
      await conn.pool.request().batch(`DELETE FROM ${table}`);
    }
  });

  it('commits a named transaction with COMMIT TRANSACTION name', async () => {
    const r = await conn.pool.request().batch('BEGIN TRANSACTION named_tx; SELECT @@TRANCOUNT AS inside; COMMIT TRANSACTION named_tx; SELECT @@TRANCOUNT AS after');
    expect(recordsets(r)).toEqual([[{ inside: 1 }], [{ after: 0 }]]);
  });

  it('reports every compile error of a batch, at its line, and runs none of it', async () => {
    const error = await conn.pool
      .request()
      .batch(`INSERT INTO ${table} (id, label) VALUES (7, 'ran');\nSELEC 2;\nSELECT id FROM ${table} WHER id = 1;\nSELECT 4 AS four`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(sql.RequestError);
    const all = [...((error as { precedingErrors?: sql.RequestError[] }).precedingErrors ?? []), error as sql.RequestError];
    expect(all.map((e) => ({ number: e.number, line: e.lineNumber, message: e.message }))).toEqual([
      { number: 102, line: 2, message: "Incorrect syntax near 'SELEC'." },
      { number: 102, line: 3, message: "Incorrect syntax near 'id'." },
    ]);
    const count = await conn.pool.request().query(`SELECT COUNT(*) AS n FROM ${table}`);
    expect(count.recordset).toEqual([{ n: 0 }]);
  });

  it('refuses a batch that uses an undeclared variable with 137 before running any of it', async () => {
    const error = await conn.pool
      .request()
      .batch(`INSERT INTO ${table} (id, label) VALUES (8, 'ran');\nDECLARE @known INT = 1;\nSELECT @known AS known, @unknown AS unknown;`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ number: 137, lineNumber: 3, message: 'Must declare the scalar variable "@unknown".' });
    const count = await conn.pool.request().query(`SELECT COUNT(*) AS n FROM ${table}`);
    expect(count.recordset).toEqual([{ n: 0 }]);
  });

  it('refuses a procedure whose body does not compile at CREATE, with 102 at the line of the error', async () => {
    const name = uniqueName('broken');
    const error = await conn.pool
      .request()
      .batch(`CREATE PROCEDURE ${name}\nAS\nSET NOCOUNT ON;\nSELECT o.name\nFROM sys.objects o WHER o.name = 'x';`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ number: 102, lineNumber: 5, message: "Incorrect syntax near 'WHER'." });
    const created = await conn.pool.request().query(`SELECT OBJECT_ID('${name}') AS id`);
    expect(created.recordset).toEqual([{ id: null }]);
  });

  it("reports a run-time error inside a procedure at the procedure's line", async () => {
    const name = uniqueName('late');
    await conn.pool.request().batch(`CREATE PROCEDURE ${name}\nAS\nSET NOCOUNT ON;\nSELECT 1 AS one;\nSELECT * FROM no_such_table_${name};`);
    try {
      const error = await conn.pool
        .request()
        .execute(name)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ number: 208, lineNumber: 5, procName: name });
    } finally {
      await conn.pool.request().batch(`DROP PROCEDURE ${name}`);
    }
  });

  it('refuses to prepare a statement that does not parse, and prepares the next one', async () => {
    const broken = new sql.PreparedStatement(conn.pool);
    const error = await broken.prepare('SELECT (1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(sql.RequestError);
    expect((error as sql.RequestError).number).toBe(102);

    // One only PostgreSQL's parser tells is malformed: a second word after a column's alias.
    const stray = new sql.PreparedStatement(conn.pool);
    const strayError = await stray.prepare('SELECT 1 one two').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(strayError).toMatchObject({ number: 102, message: "Incorrect syntax near 'two'." });

    const ok = new sql.PreparedStatement(conn.pool);
    ok.input('p', sql.Int);
    await ok.prepare('SELECT @p + 1 AS next');
    try {
      expect((await ok.execute({ p: 41 })).recordset).toEqual([{ next: 42 }]);
    } finally {
      await ok.unprepare();
    }
  });
});
