/**
 * Sessions do not wait on each other's open transactions except for the rows those hold: what a
 * server with real locking gives, and PGlite's single connection (one lock for the whole
 * database) cannot, so this file runs on the PostgreSQL backend and real SQL Server only.
 *
 * SET LOCK_TIMEOUT 0 makes any wait fail at once with 1222, so "does not block" needs no timing.
 */
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, driverTargets, uniqueName } from './helpers';

const targets = driverTargets({}, { pglite: false, postgres: true });

describe.runIf(targets.length > 0).each(targets)('an open transaction on $name', (target) => {
  const held = uniqueName('held');
  const other = uniqueName('other');
  let owner: sql.ConnectionPool;
  let reader: sql.ConnectionPool;
  let tx: sql.Transaction;

  beforeAll(async () => {
    owner = await connect({ ...target.config(), pool: { max: 1 } } as sql.config);
    reader = await connect({ ...target.config(), pool: { max: 1 } } as sql.config);
    await owner.request().batch(`CREATE TABLE ${held} (id INT PRIMARY KEY, note NVARCHAR(20)); INSERT INTO ${held} VALUES (0, N'committed');
      CREATE TABLE ${other} (id INT PRIMARY KEY); INSERT INTO ${other} VALUES (1), (2);`);
    tx = new sql.Transaction(owner);
    await tx.begin();
    await new sql.Request(tx).batch(`INSERT INTO ${held} VALUES (1, N'uncommitted'), (2, N'uncommitted'); UPDATE ${held} SET note = N'changed' WHERE id = 0;`);
  });

  afterAll(async () => {
    await tx.rollback().catch(() => undefined);
    await owner.request().batch(`DROP TABLE ${held}; DROP TABLE ${other};`);
    await Promise.all([owner.close(), reader.close()]);
  });

  it('does not block a NOLOCK read of the table it wrote to', async () => {
    const r = await reader.request().query(`SET LOCK_TIMEOUT 0; SELECT id FROM ${held} WITH (NOLOCK) ORDER BY id`);
    const ids = r.recordset.map((row: { id: number }) => row.id);
    // SQL Server reads the uncommitted rows; PostgreSQL has no dirty reads and shows the committed ones.
    expect(ids).toEqual(target.emulated ? [0] : [0, 1, 2]);
  });

  it('does not block a read of an unrelated table', async () => {
    const r = await reader.request().query(`SET LOCK_TIMEOUT 0; SELECT COUNT(*) AS n FROM ${other}`);
    expect(r.recordset).toEqual([{ n: 2 }]);
  });

  it('does not block creating and using a #temp table', async () => {
    const r = await reader.request().query('SET LOCK_TIMEOUT 0; CREATE TABLE #scratch (n INT); INSERT INTO #scratch VALUES (7); SELECT n FROM #scratch; DROP TABLE #scratch;');
    expect(r.recordset).toEqual([{ n: 7 }]);
  });

  it('makes a write to a row it holds wait, and LOCK_TIMEOUT ends the wait with 1222', async () => {
    const err = await reader
      .request()
      .batch(`SET LOCK_TIMEOUT 0; UPDATE ${held} SET note = N'reader' WHERE id = 0;`)
      .then(() => undefined, (e: unknown) => e as sql.RequestError);
    expect(err?.number).toBe(1222);
    // The reader's session is fine afterwards, and the owner's transaction still commits.
    await reader.request().batch('SET LOCK_TIMEOUT -1');
    await tx.commit();
    const r = await reader.request().query(`SELECT id, note FROM ${held} ORDER BY id`);
    expect(r.recordset).toEqual([
      { id: 0, note: 'changed' },
      { id: 1, note: 'uncommitted' },
      { id: 2, note: 'uncommitted' },
    ]);
  });
});
