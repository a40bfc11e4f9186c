// The query console against every kind of workspace database: the emulator (real TDS, real mssql
// driver), the machine's PostgreSQL and MariaDB. Parameters, several result sets with their column
// types, truncation, the time limit as query_timeout, cancel that leaves the server session idle,
// read-only enforced, and an audit row per run that never holds parameter values.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { consoleWorkspace, eventually, requireBackendsInCi, useConsoleBackends } from './support/console';

const { backends, missing } = useConsoleBackends();
requireBackendsInCi(missing);

describe.each(backends)('console on $name', (backend) => {
  const h = useHarness(testTargets.at(-1)!);

  async function seeded(rows: number, options: Parameters<typeof consoleWorkspace>[2] = {}) {
    const setup = await consoleWorkspace(h, backend, options);
    const api = h.caller(setup.owner.principal);
    const table = backend.uniqueTable();
    const t = backend.table(table);
    const ref = { workspaceId: setup.ws.id, connectionId: setup.connectionId };
    if (options.access === undefined || options.access === 'read-write') {
      await api.console.run({ ...ref, mode: 'read-write', sql: `CREATE TABLE ${t} (id INT NOT NULL, name VARCHAR(50) NOT NULL)` });
      for (let i = 1; i <= rows; i += 100) {
        const values = Array.from({ length: Math.min(100, rows - i + 1) }, (_, k) => `(${i + k}, 'name ${i + k}')`).join(', ');
        await api.console.run({ ...ref, mode: 'read-write', sql: `INSERT INTO ${t} (id, name) VALUES ${values}` });
      }
    }
    return { ...setup, api, ref, table: t };
  }

  it('runs with parameters and returns two result sets with their column types', { timeout: 60_000 }, async () => {
    const { api, ref, table } = await seeded(5);
    // SQL Server binds parameters for the whole batch; PostgreSQL and MySQL bind one statement.
    const sql = backend.name === 'mssql' ? `SELECT id, name FROM ${table} WHERE id <= @p1 ORDER BY id; SELECT COUNT(*) AS total FROM ${table}` : `SELECT id, name FROM ${table} WHERE id <= ${backend.param(1)} ORDER BY id`;
    const result = await api.console.run({ ...ref, sql, parameters: [2] });
    expect(result.status).toBe('completed');
    expect(result.resultSets[0]).toMatchObject({ rows: [[1, 'name 1'], [2, 'name 2']], rowCount: 2, truncated: false });
    expect(result.resultSets[0]!.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(result.resultSets[0]!.columns[0]!.type).toMatch(/^(int|int4|long)$/);
    expect(result.resultSets[0]!.columns[1]!.type).toMatch(/varchar|var_string/);
    if (backend.name === 'mysql') {
      // Named as columns are declared, not as the protocol's `long` / `var_string` / `blob`.
      const typed = await api.console.run({ ...ref, sql: "SELECT id, name, CAST(id AS SIGNED) AS big, CAST(id AS DECIMAL(9,2)) AS amount, CAST('ab' AS BINARY) AS raw FROM " + table + ' LIMIT 1' });
      expect(typed.resultSets[0]!.columns.map((c) => c.type)).toEqual(['int', 'varchar', 'bigint', 'decimal', 'varbinary']);
    }
    if (backend.name === 'mssql') {
      expect(result.resultSets).toHaveLength(2);
      expect(String(result.resultSets[1]!.rows[0]![0])).toBe('5');
    }
    // Without parameters, several statements on every type.
    const two = await api.console.run({ ...ref, sql: `SELECT 1 AS a; SELECT 'x' AS b, 2 AS c` });
    expect(two.resultSets.map((s) => s.columns.map((c) => c.name))).toEqual([['a'], ['b', 'c']]);
    expect(two.resultSets.map((s) => s.rows)).toEqual([[[1]], [['x', 2]]]);
  });

  it('keeps the row limit, flags truncation and still counts every row', { timeout: 60_000 }, async () => {
    const { api, ref, table } = await seeded(30);
    const result = await api.console.run({ ...ref, sql: `SELECT id FROM ${table} ORDER BY id`, rowLimit: 10 });
    expect(result.resultSets[0]).toMatchObject({ rowCount: 30, truncated: true });
    expect(result.resultSets[0]!.rows).toHaveLength(10);
    expect(result).toMatchObject({ truncated: true, rowLimit: 10 });
  });

  it('returns a date and a time without a time zone as the database holds them, whatever the host time zone', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0);
    const sql = {
      mssql: "SELECT CAST('2026-12-05' AS DATE) AS d, CAST('2026-12-05 17:28:06' AS DATETIME2(0)) AS t",
      postgres: "SELECT CAST('2026-12-05' AS DATE) AS d, CAST('2026-12-05 17:28:06' AS TIMESTAMP) AS t",
      mysql: "SELECT CAST('2026-12-05' AS DATE) AS d, CAST('2026-12-05 17:28:06' AS DATETIME) AS t",
    }[backend.name];
    // A host east of UTC: read as its local time, the date moved to the day before.
    const zone = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      const result = await api.console.run({ ...ref, sql });
      const [date, time] = result.resultSets[0]!.rows[0]!.map(String);
      // The day alone on every database (SQL Server's driver hands over midnight UTC of it).
      expect(date).toBe('2026-12-05');
      expect(time?.replace('T', ' ')).toMatch(/^2026-12-05 17:28:06/);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('ends a run past its time limit with query_timeout naming the limit, and the server stops', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0, { poolSize: 1 });
    const problem = await problemOf(api.console.run({ ...ref, sql: backend.sleep(20), timeoutMs: 500 }));
    expect(problem).toMatchObject({ code: 'TIMEOUT', error: 'query_timeout', details: { timeoutMs: 500 } });
    expect(problem.message).toContain('500 ms');
    expect(await eventually(async () => (await backend.busyWith(backend.sleep(20))) === 0)).toBe(true);
    // The one pooled connection serves the next run.
    expect((await api.console.run({ ...ref, sql: 'SELECT 1 AS one' })).resultSets[0]!.rows).toEqual([[1]]);
  });

  it('caps the time limit at the connection maximum', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0, { requestTimeoutMs: 700 });
    const problem = await problemOf(api.console.run({ ...ref, sql: backend.sleep(20), timeoutMs: 60_000 }));
    expect(problem).toMatchObject({ error: 'query_timeout', details: { timeoutMs: 700 } });
  });

  it('cancel stops the statement on the server: the session is idle afterwards', { timeout: 60_000 }, async () => {
    const { api, ref, ws } = await seeded(0, { poolSize: 1 });
    const runId = crypto.randomUUID();
    const marker = backend.sleep(30);
    const running = api.console.run({ ...ref, sql: marker, runId });
    expect(await eventually(async () => (await backend.busyWith(marker)) === 1, 10_000)).toBe(true);
    // The run is registered once its statement is on the server, which busyWith saw.
    expect(await api.console.cancel({ workspaceId: ws.id, runId })).toEqual({ runId, cancelRequested: true });
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(await backend.busyWith(marker)).toBe(0);
    expect((await api.console.run({ ...ref, sql: 'SELECT 2 AS two' })).resultSets[0]!.rows).toEqual([[2]]);
    const audit = await h.auditRows(ws.id);
    expect(audit.find((row) => row.action === 'console.cancel')?.outcome).toBe('success');
  });

  it('read-only refuses an INSERT, and nothing is written', { timeout: 60_000 }, async () => {
    const { api, ref, table } = await seeded(1);
    const insert = `INSERT INTO ${table} (id, name) VALUES (99, 'written')`;
    if (backend.name === 'mssql') {
      // SQL Server: the batch runs in a transaction that is always rolled back.
      const result = await api.console.run({ ...ref, sql: insert });
      expect(result).toMatchObject({ status: 'completed', mode: 'read-only', rolledBack: true, rowsAffected: [1] });
    } else {
      const problem = await problemOf(api.console.run({ ...ref, sql: insert }));
      expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'query_error', details: { databaseCode: backend.name === 'postgres' ? '25006' : '1792' } });
    }
    const after = await api.console.run({ ...ref, sql: `SELECT COUNT(*) AS n FROM ${table} WHERE id = 99` });
    expect(String(after.resultSets[0]!.rows[0]![0])).toBe('0');
    // What would end the read-only transaction is refused before anything runs.
    const escape = backend.name === 'mssql' ? `COMMIT; ${insert}` : `COMMIT; ${insert}`;
    expect(await problemOf(api.console.run({ ...ref, sql: escape }))).toMatchObject({ error: 'invalid_input', details: { field: 'sql', reason: 'read_only_refused', statement: 'COMMIT' } });
  });

  it('answers a database error as query_error with the database code', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0);
    const problem = await problemOf(api.console.run({ ...ref, sql: 'SELECT * FROM console_no_such_table' }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'query_error', details: { database_type: backend.name } });
    expect(problem.details.databaseCode).toBe({ mssql: '208', postgres: '42P01', mysql: '1146' }[backend.name]);
  });

  // Read-only text without parameters goes to PostgreSQL wrapped in its transaction as one string
  // (run-postgres.ts): what the caller sees must be what the text alone would give.
  it.runIf(backend.name === 'postgres')('read-only text is answered as if it ran alone: its result sets, its errors and their lines', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0);
    const commented = await api.console.run({ ...ref, sql: 'SELECT 1 AS a -- no newline after this comment' });
    expect(commented).toMatchObject({ status: 'completed', rolledBack: true, rowsAffected: [] });
    expect(commented.resultSets.map((set) => set.rows)).toEqual([[[1]]]);
    const open = await problemOf(api.console.run({ ...ref, sql: 'SELECT 1;\nSELECT (2' }));
    expect(open).toMatchObject({ error: 'query_error', details: { databaseCode: '42601', line: 2 } });
    expect(open.message).toContain('syntax error at end of input');
    const missingTable = await problemOf(api.console.run({ ...ref, sql: 'SELECT 1;\n\nSELECT * FROM console_no_such_table' }));
    expect(missingTable).toMatchObject({ details: { databaseCode: '42P01', line: 3 } });
    // Nothing was left open: the next run sees its own snapshot, and read-write still writes.
    const after = await api.console.run({ ...ref, mode: 'read-write', sql: 'CREATE TEMP TABLE console_after (id INT); INSERT INTO console_after VALUES (1); SELECT count(*)::int FROM console_after' });
    expect(after.resultSets.at(-1)!.rows).toEqual([[1]]);
  });

  it.runIf(backend.name === 'postgres')('names the types the driver has no name for: void, name, arrays, ranges', { timeout: 60_000 }, async () => {
    const { api, ref } = await seeded(0);
    const result = await api.console.run({ ...ref, sql: "SELECT pg_sleep(0) AS slept, 'x'::name AS n, ARRAY[1, 2] AS ints, ARRAY['a'] AS texts, int4range(1, 3) AS r, point(1, 2) AS p" });
    expect(result.resultSets[0]!.columns.map((c) => c.type)).toEqual(['void', 'name', 'int4[]', 'text[]', 'int4range', 'point']);
  });

  // Read-only text without parameters goes to SQL Server as one request, inside its BEGIN and
  // ROLLBACK (run-mssql.ts): the caller sees what the text alone gives, and nothing stays open.
  it.runIf(backend.name === 'mssql')('read-only text is answered as if it ran alone, and a batch that fails leaves nothing written or open', { timeout: 60_000 }, async () => {
    const { api, ref, table } = await seeded(1, { poolSize: 1 });
    const commented = await api.console.run({ ...ref, sql: 'SELECT 1 AS a -- no newline after this comment' });
    expect(commented).toMatchObject({ status: 'completed', rolledBack: true, rowsAffected: [], messages: [] });
    expect(commented.resultSets.map((set) => set.rows)).toEqual([[[1]]]);
    const missingTable = await problemOf(api.console.run({ ...ref, sql: `INSERT INTO ${table} (id, name) VALUES (99, 'written');\n\nSELECT * FROM console_no_such_table` }));
    expect(missingTable).toMatchObject({ error: 'query_error', details: { databaseCode: '208', line: 3 } });
    // The one pooled connection is back with no transaction open, and the insert is gone.
    const after = await api.console.run({ ...ref, mode: 'read-write', sql: `SELECT @@TRANCOUNT AS open_transactions, (SELECT COUNT(*) FROM ${table} WHERE id = 99) AS written` });
    expect(after.resultSets[0]!.rows).toEqual([[0, 0]]);
    // A statement SQL Server takes only at the start of a batch still runs (and is rolled back).
    const view = backend.uniqueTable();
    expect(await api.console.run({ ...ref, sql: `CREATE VIEW ${view} AS SELECT 1 AS one` })).toMatchObject({ status: 'completed', rolledBack: true });
    expect(await problemOf(api.console.run({ ...ref, sql: `SELECT one FROM ${view}` }))).toMatchObject({ details: { databaseCode: '208' } });
  });

  it('audits every run with a hash and the first 200 characters, never parameter values', { timeout: 60_000 }, async () => {
    const { api, ref, ws, table } = await seeded(1);
    const secret = 'parameter-value-not-for-the-audit-log';
    const sql = `SELECT id FROM ${table} WHERE name <> ${backend.param(1)} /* ${'x'.repeat(250)} */`;
    await api.console.run({ ...ref, sql, parameters: [secret] });
    await problemOf(api.console.run({ ...ref, sql: 'SELECT * FROM console_no_such_table' }));
    const rows = (await h.auditRows(ws.id)).filter((row) => row.action === 'console.run');
    const mine = rows.find((row) => (row.details as { sqlPreview?: string }).sqlPreview?.startsWith(`SELECT id FROM ${table} WHERE`));
    expect(mine).toMatchObject({ outcome: 'success', targetType: 'connection', targetId: ref.connectionId });
    expect(mine!.details).toMatchObject({ mode: 'read-only', status: 'success', rows: 1, parameterCount: 1 });
    expect((mine!.details as { sqlPreview: string }).sqlPreview).toHaveLength(200);
    expect((mine!.details as { sqlHash: string }).sqlHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.some((row) => row.outcome === 'failure' && (row.details as { status?: string }).status === 'error')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
