// Export and the console over REST, against a real API process (a child process, so its memory is
// its own to measure): 200,000 rows stream as CSV while the API's resident memory grows by less
// than 50 MB; a refused query is an F10 error before any file starts; the JSON answer of
// POST …/query; the OpenAPI document lists the console routes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@studio/db';
import { workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenService } from '../src/services/api-tokens';

const pgUrl = process.env.PG_URL;
const postgresTarget = testTargets.find((t) => t.name === 'postgres');
const apiDir = fileURLToPath(new URL('..', import.meta.url));
const EXPORT_ROWS = 200_000;
const RSS_LIMIT_MB = 50;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const needs = pgUrl && postgresTarget ? describe : describe.skip;
if (process.env.CI === 'true' && !(pgUrl && postgresTarget)) {
  it('needs PG_URL and DATABASE_URL in CI', () => {
    throw new Error('PG_URL / DATABASE_URL not set: CI must run the export memory test');
  });
}

needs('console over REST in a separate API process', () => {
  let child: ChildProcess;
  let url = '';
  let token = '';
  let connectionId = '';
  let dispose: (() => Promise<void>) | undefined;
  let dataDir = '';

  beforeAll(async () => {
    const fresh = await postgresTarget!.create();
    const systemUrl = fresh.url!;
    await fresh.database.close();
    dataDir = await mkdtemp(join(tmpdir(), 'studio-console-export-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: apiDir,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: systemUrl,
        // Every instance on a shared system database takes its key ring from here.
        ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64')}`,
        AUTO_MIGRATE: 'true',
        AUTO_SEED: 'true',
        SEED_ADMIN_PASSWORD: 'console-export-admin-pw',
        SEED_USER_PASSWORD: 'console-export-user-pw',
        DEMO_MSSQL: 'false',
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`API did not start: ${out.slice(-2000)}`)), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /"url":"(http:\/\/[^"]+)".*workspace studio API is ready/.exec(out);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`API exited with ${code}: ${out.slice(-2000)}`)));
    });
    const system = await createDatabase({ url: systemUrl });
    const [ws] = await system.db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, 'twsbp'));
    token = (await new ApiTokenService(system.db).create({ workspaceId: ws!.id, name: 'export-test', role: 'Admin', createdBy: null })).token;
    await system.close();
    dispose = () => fresh.dispose();
    const target = new URL(pgUrl!);
    const created = await api('POST', '/api/v1/workspaces/twsbp/connections', {
      name: 'Warehouse',
      type: 'postgres',
      host: target.hostname,
      port: Number(target.port || 5432),
      database: decodeURIComponent(target.pathname.slice(1)) || 'postgres',
      user: decodeURIComponent(target.username),
      ...(target.password ? { password: decodeURIComponent(target.password) } : {}),
      options: { requestTimeoutMs: 300_000 },
    });
    expect(created.status).toBe(200);
    connectionId = ((await created.json()) as { id: string }).id;
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await dispose?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  const rowsSql = (n: number) => `SELECT g AS id, md5(g::text) AS name, now() AS at FROM generate_series(1, ${n}) AS g`;

  it('answers POST …/query with result sets, and a bad field with a 400 naming it', async () => {
    const ok = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/query`, { sql: 'SELECT $1::int + 1 AS two', parameters: [1] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'completed', mode: 'read-only', resultSets: [{ columns: [{ name: 'two', type: 'int4' }], rows: [[2]], rowCount: 1, truncated: false }] });
    const bad = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/query`, { sql: 'SELECT 1', rowLimit: 0 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'rowLimit' }] } });
    const timeout = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/query`, { sql: 'SELECT pg_sleep(10)', timeoutMs: 300 });
    expect(timeout.status).toBe(408);
    expect(await timeout.json()).toMatchObject({ error: 'query_timeout', details: { timeoutMs: 300 } });
  });

  it('lists the console routes in the OpenAPI document, the export as a file', async () => {
    const document = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}/query', '/api/v1/workspaces/{workspaceSlug}/saved-queries']));
    const exportPath = document.paths['/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}/export']!;
    expect(Object.keys(exportPath.post!.responses['200']!.content!)).toEqual(['text/csv', 'application/json']);
  });

  it('refuses a bad query as an F10 error before any file, and exports JSON', async () => {
    const refused = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/export`, { sql: 'SELECT * FROM console_no_such_table' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'query_error', details: { databaseCode: '42P01' } });
    const json = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/export`, { sql: "SELECT 1 AS id, 'a,\"b' AS name", format: 'json' });
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="Warehouse-\d{4}-\d{2}-\d{2}-\d{6}\.json"$/);
    expect(await json.json()).toEqual([{ id: 1, name: 'a,"b' }]);
  });

  it(`streams ${EXPORT_ROWS} rows as CSV while the API's memory grows by less than ${RSS_LIMIT_MB} MB`, { timeout: 300_000 }, async () => {
    // Warm up: the first export loads code and fills caches; that is not growth per row.
    const warm = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/export`, { sql: rowsSql(5_000) });
    expect((await warm.text()).split('\r\n')).toHaveLength(5_002);
    const pid = child.pid!;
    const baseline = rssMb(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 50);
    let lines = 0;
    let last = '';
    try {
      const response = await api('POST', `/api/v1/workspaces/twsbp/connections/${connectionId}/export`, { sql: rowsSql(EXPORT_ROWS) });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = last + decoder.decode(chunk, { stream: true });
        const parts = text.split('\r\n');
        last = parts.pop() ?? '';
        lines += parts.length;
      }
    } finally {
      clearInterval(sampler);
    }
    expect(lines).toBe(EXPORT_ROWS + 1);
    expect(peak - baseline, `RSS ${baseline.toFixed(1)} MB → peak ${peak.toFixed(1)} MB`).toBeLessThan(RSS_LIMIT_MB);
  });
});
