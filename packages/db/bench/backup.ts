// Backup and restore of a system database with 10,000 connections and 100,000 audit rows: the
// app's portable format (createBackup / restoreBackup) against plain pg_dump -Fc / pg_restore of
// the same data, measured in the same run. Needs DATABASE_URL (a server where it may create and
// drop databases) and pg_dump / pg_restore on PATH.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm --filter @studio/db bench
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createBackup, restoreBackup } from '../src/backup/index';
import { createDatabase, type Database } from '../src/client';
import { Migrator } from '../src/migrator';
import { seed } from '../src/seed';
import { withSession } from '../src/session';

const run = promisify(execFile);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const AUDIT_ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 100_000);
const server = process.env.DATABASE_URL;

function urlOf(name: string): string {
  const url = new URL(server!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freshDatabase(created: string[]): Promise<string> {
  const name = `studio_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  created.push(name);
  return name;
}

async function fill(database: Database): Promise<void> {
  await new Migrator(database).migrate();
  await seed(database.db, { adminPassword: 'bench-admin-password', userPassword: 'bench-user-password', log: () => undefined });
  await withSession(database, (session) =>
    session.transaction(async (tx) => {
      await tx.exec('SET LOCAL statement_timeout = 0');
      await tx.query(
        `INSERT INTO connections (workspace_id, name, type, host, port, database, user_encrypted, password_encrypted, key_version, options)
         SELECT w.id, 'conn-' || g, 'mssql', 'sql-' || g || '.example.test', 1433, 'app',
                'v1:1:' || md5(g::text) || ':' || md5('t' || g) || ':' || md5('u' || g),
                'v1:1:' || md5('p' || g) || ':' || md5('q' || g) || ':' || md5('r' || g), 1, '{"encrypt":true}'::jsonb
           FROM generate_series(1, $1::int) g, (SELECT id FROM workspaces WHERE slug = 'twsbp') w`,
        [CONNECTIONS],
      );
      await tx.query(
        `INSERT INTO audit_log (at, actor_username, workspace_id, action, target_type, target_id, ip, user_agent, outcome, details)
         SELECT now() - (g || ' seconds')::interval, 'user-' || (g % 50), w.id, 'connection.test', 'connection', md5(g::text),
                '203.0.113.' || (g % 250), 'Mozilla/5.0 bench', 'success', jsonb_build_object('latencyMs', g % 900, 'attempt', g)
           FROM generate_series(1, $1::int) g, (SELECT id FROM workspaces WHERE slug = 'twsbp') w`,
        [AUDIT_ROWS],
      );
    }),
  );
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  if (!server) {
    console.log('backup bench: DATABASE_URL is not set; skipped (it needs a PostgreSQL server)');
    return;
  }
  const created: string[] = [];
  const work = await mkdtemp(path.join(tmpdir(), 'studio-backup-bench-'));
  const handles: Database[] = [];
  try {
    const sourceName = await freshDatabase(created);
    const source = await createDatabase({ url: urlOf(sourceName), statementTimeoutMs: 0 });
    handles.push(source);
    await fill(source);

    const app = await timed(() => createBackup(source, { dir: work, appVersion: 'bench' }));
    const appTarget = await createDatabase({ url: urlOf(await freshDatabase(created)), statementTimeoutMs: 0 });
    handles.push(appTarget);
    const appRestore = await timed(() => restoreBackup(appTarget, app.value.file));

    const dumpFile = path.join(work, 'plain.dump');
    const dump = await timed(() => run('pg_dump', ['-Fc', '-f', dumpFile, urlOf(sourceName)]));
    const dumpBytes = (await stat(dumpFile)).size;
    const plainTarget = await freshDatabase(created);
    const plainRestore = await timed(() => run('pg_restore', ['--no-owner', '-d', urlOf(plainTarget), dumpFile]));

    const rows = app.value.manifest.tables.reduce((sum, table) => sum + table.rows, 0);
    const fmt = (n: number) => n.toFixed(0);
    const table = [
      ['measure', 'studio format', 'pg_dump -Fc', 'ratio (studio / pg_dump)'],
      ['backup time (ms)', fmt(app.ms), fmt(dump.ms), (app.ms / dump.ms).toFixed(2)],
      ['restore time (ms)', fmt(appRestore.ms), fmt(plainRestore.ms), (appRestore.ms / plainRestore.ms).toFixed(2)],
      ['size (KiB)', fmt(app.value.bytes / 1024), fmt(dumpBytes / 1024), (app.value.bytes / dumpBytes).toFixed(2)],
    ];
    console.log(`\nbackup bench: ${CONNECTIONS} connections, ${AUDIT_ROWS} audit rows, ${rows} rows in all (PostgreSQL ${app.value.manifest.source.serverVersion})`);
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    console.log('studio restore = schema rebuild + load in one transaction + count checks; pg_restore also rebuilds the schema.');
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
    for (const name of created) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
