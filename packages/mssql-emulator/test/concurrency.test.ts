import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { driverTargets, uniqueName } from './helpers';

const targets = driverTargets();
const CONNECTIONS = 200;
const QUERIES = 50;

describe.each(targets)('concurrency against $name', (target) => {
  it(`${CONNECTIONS} connections × ${QUERIES} queries lose nothing`, async () => {
    const table = uniqueName('load');
    const setup = await new sql.ConnectionPool(target.config() as sql.config).connect();
    await setup.request().batch(`CREATE TABLE ${table} (conn INT NOT NULL, n INT NOT NULL, PRIMARY KEY (conn, n))`);
    const pools = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => new sql.ConnectionPool({ ...target.config(), connectionTimeout: 60_000, requestTimeout: 60_000, pool: { min: 1, max: 1, acquireTimeoutMillis: 60_000 } } as sql.config).connect()),
    );
    try {
      const mismatches: string[] = [];
      await Promise.all(
        pools.map(async (pool, c) => {
          for (let n = 0; n < QUERIES; n++) {
            const r = await pool.request().input('c', sql.Int, c).input('n', sql.Int, n).query(`INSERT INTO ${table} (conn, n) VALUES (@c, @n); SELECT @c AS c, @n AS n`);
            const row = r.recordset[0] as { c: number; n: number };
            if (row.c !== c || row.n !== n) mismatches.push(`${c}/${n} got ${row.c}/${row.n}`);
          }
        }),
      );
      expect(mismatches).toEqual([]);
      const total = await setup.request().query(`SELECT COUNT(*) AS total, COUNT(DISTINCT conn) AS conns FROM ${table}`);
      expect(total.recordset).toEqual([{ total: CONNECTIONS * QUERIES, conns: CONNECTIONS }]);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
      await setup.request().batch(`DROP TABLE ${table}`);
      await setup.close();
    }
  }, 120_000);
});
