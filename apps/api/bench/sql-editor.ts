// `pnpm --filter @studio/api bench:sql-editor` (issue 8): what sqlEditor.execute costs over calling
// the same published procedure directly with `mssql` (request.execute with typed parameters). The
// API path is the real one minus HTTP: createCaller → authorisation (membership, grants, default
// environment, decrypted connection settings) → pool manager → parameter discovery in the server's
// catalogue → RPC → typed results → audit row. The SQL Server is the TDS emulator in a child
// process, so neither path pays for it in this process. Closed-loop clients; the two paths
// alternate in slices so machine noise hits both alike.
//
//   BENCH_DURATION_MS   measured time per path per concurrency (default 6000)
//   BENCH_CONCURRENCY   comma-separated client counts (default 1,8)
//   BENCH_ROWS          rows the procedure returns (default 20)
//   BENCH_DATABASE      the system database: pglite (default, in process) | postgres (a scratch database on DATABASE_URL)
import { loadavg } from 'node:os';
import sql from 'mssql';
import { z } from 'zod';
import { printTargets, type TargetCheck } from './instances';
import { benchStudio, closedLoop, printTable, startSqlServer, summarise, type Sample } from './support';

const config = z
  .object({
    BENCH_DURATION_MS: z.coerce.number().int().min(200).default(6_000),
    BENCH_CONCURRENCY: z
      .string()
      .default('1,8')
      .transform((v) => v.split(',').map((n) => Number(n.trim())))
      .pipe(z.array(z.number().int().min(1).max(200)).min(1)),
    BENCH_ROWS: z.coerce.number().int().min(0).max(1_000).default(20),
    BENCH_DATABASE: z.enum(['pglite', 'postgres']).default('pglite'),
  })
  .parse(process.env);

const SLICES = 3;
const SQL_USER = 'bench_app';
const SQL_PASSWORD = 'Bench-Editor-Passw0rd';
const DATABASE = 'bench_editor';

const PROCEDURE = `CREATE PROCEDURE dbo.BenchOrders
  @rows INT,
  @minTotal DECIMAL(10, 2) = 0,
  @matched INT OUTPUT
AS
BEGIN
  SET NOCOUNT ON;
  SELECT TOP (@rows) id, customer, total, placed FROM bench_orders WHERE total >= @minTotal ORDER BY id;
  SELECT @matched = COUNT(*) FROM bench_orders WHERE total >= @minTotal;
  RETURN 0;
END`;

async function main(): Promise<void> {
  const { child, port } = await startSqlServer({ user: SQL_USER, password: SQL_PASSWORD, database: DATABASE });
  const studio = await benchStudio(config.BENCH_DATABASE);
  const { caller, workspaceId } = studio;

  const connection = { host: '127.0.0.1', port, database: DATABASE, user: SQL_USER, password: SQL_PASSWORD };
  await caller.environments.create({ workspaceId, name: 'Bench', connection: { ...connection, options: { poolSize: 10, tls: false } }, autoMigrate: false });
  const direct = await new sql.ConnectionPool({ server: '127.0.0.1', port, database: DATABASE, user: SQL_USER, password: SQL_PASSWORD, options: { encrypt: false, trustServerCertificate: true }, pool: { max: 10 } }).connect();
  await direct.request().batch(
    `CREATE TABLE bench_orders (id INT PRIMARY KEY, customer NVARCHAR(50) NOT NULL, total DECIMAL(10, 2) NOT NULL, placed DATETIME2(3) NOT NULL);
     INSERT INTO bench_orders (id, customer, total, placed) VALUES ${Array.from({ length: Math.max(config.BENCH_ROWS, 1) }, (_, i) => `(${i + 1}, N'customer ${i + 1}', ${(i * 7.25).toFixed(2)}, '2026-01-01T00:00:00')`).join(', ')}`,
  );
  const created = await caller.sqlEditor.create({ workspaceId, name: 'BenchOrders', sqlDraft: PROCEDURE });
  await caller.sqlEditor.publish({ workspaceId, procedureId: created.id });

  const viaApi = async () => {
    const result = await caller.sqlEditor.execute({ workspaceId, procedureId: created.id, parameters: { rows: config.BENCH_ROWS } });
    if (result.resultSets[0]?.rows.length !== config.BENCH_ROWS) throw new Error('API returned the wrong rows');
  };
  const viaMssql = async () => {
    const result = await direct.request().input('rows', sql.Int, config.BENCH_ROWS).output('matched', sql.Int).execute('[dbo].[BenchOrders]');
    if ((result.recordsets as unknown as unknown[][])[0]?.length !== config.BENCH_ROWS) throw new Error('mssql returned the wrong rows');
  };
  // Warm both paths (pools, JIT, catalogue caches).
  await closedLoop(2, 1_000, viaMssql);
  await closedLoop(2, 1_000, viaApi);

  const loadAtStart = loadavg()[0]!;
  const table: string[][] = [['clients', 'path', 'calls/s', 'p50 ms', 'p95 ms', 'mean ms', 'ratio (p50)', 'ratio (calls/s)']];
  const checks: TargetCheck[] = [];
  for (const clients of config.BENCH_CONCURRENCY) {
    const api: Sample[] = [];
    const mssql: Sample[] = [];
    const slice = Math.max(100, Math.floor(config.BENCH_DURATION_MS / SLICES));
    for (let i = 0; i < SLICES; i++) {
      mssql.push(await closedLoop(clients, slice, viaMssql));
      api.push(await closedLoop(clients, slice, viaApi));
    }
    const m = summarise(mssql);
    const a = summarise(api);
    table.push([String(clients), 'mssql direct', m.perSecond.toFixed(0), m.p50.toFixed(2), m.p95.toFixed(2), m.mean.toFixed(2), '1.00', '1.00']);
    table.push([String(clients), 'sqlEditor.execute', a.perSecond.toFixed(0), a.p50.toFixed(2), a.p95.toFixed(2), a.mean.toFixed(2), (a.p50 / m.p50).toFixed(2), (a.perSecond / m.perSecond).toFixed(2)]);
    // Issue 17's targets, at the concurrency it names (8 clients).
    if (clients === 8) {
      checks.push({ target: 'sqlEditor.execute p50 ≤ 1.5× mssql at 8 clients', measured: `${(a.p50 / m.p50).toFixed(2)}×`, holds: a.p50 <= 1.5 * m.p50 });
      checks.push({ target: 'sqlEditor.execute throughput ≥ 0.6× mssql at 8 clients', measured: `${(a.perSecond / m.perSecond).toFixed(2)}×`, holds: a.perSecond >= 0.6 * m.perSecond });
    }
  }
  console.log(
    `sqlEditor.execute vs mssql request.execute — ${config.BENCH_ROWS} rows + 1 output parameter, system database ${studio.systemDatabase}, ${SLICES} alternating slices per client count, ` +
      `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
  );
  printTable(table);
  if (checks.length > 0) printTargets(checks);

  await direct.close();
  await studio.close();
  child.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
