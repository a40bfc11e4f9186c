import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { driverTargets, usePool } from './helpers';

// Transactions, locks, #temp objects and compile errors are the backend's: this file runs on both.
const targets = driverTargets({}, { postgres: true });

describe.each(targets)('cancel against $name', (target) => {
  const conn = usePool(target, { pool: { min: 1, max: 1 } });

  it('cancels a long WAITFOR promptly and the connection stays usable', async () => {
    const request = conn.pool.request();
    const started = Date.now();
    const pending = request.query("WAITFOR DELAY '00:00:20'; SELECT 1 AS never").catch((e: unknown) => e);
    setTimeout(() => request.cancel(), 200);
    const error = await pending;
    expect(Date.now() - started).toBeLessThan(3000);
    expect((error as sql.RequestError).code).toBe('ECANCEL');
    const r = await conn.pool.request().query('SELECT 2 AS after');
    expect(r.recordset).toEqual([{ after: 2 }]);
  });

  it('times out a request with requestTimeout (ATTENTION) and keeps the connection', async () => {
    const pool = await new sql.ConnectionPool({ ...target.config(), requestTimeout: 300, pool: { min: 1, max: 1 } } as sql.config).connect();
    try {
      const error = await pool
        .request()
        .batch("WAITFOR DELAY '00:00:05'")
        .catch((e: unknown) => e);
      expect((error as sql.RequestError).code).toBe('ETIMEOUT');
      const r = await pool.request().query('SELECT 3 AS after');
      expect(r.recordset).toEqual([{ after: 3 }]);
    } finally {
      await pool.close();
    }
  });

  it('cancel after completion is harmless', async () => {
    const request = conn.pool.request();
    const r = await request.query('SELECT 4 AS v');
    request.cancel();
    expect(r.recordset).toEqual([{ v: 4 }]);
    expect((await conn.pool.request().query('SELECT 5 AS v')).recordset).toEqual([{ v: 5 }]);
  });
});
