// importCsv: the SDK's upload of a CSV to a project over REST with an API token, against the real
// API and the machine's PostgreSQL; then the run through the typed client; a refusal is a
// StudioApiError with the F10 code and HTTP status.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, importCsv, isStudioApiError, waitForImport, type ImportRun, type StudioClient } from '../src/index';
import { startTestApi, type TestApi } from './support/api';

const pgUrl = process.env.PG_URL;
if (!pgUrl && process.env.CI === 'true') throw new Error('PG_URL not set: CI must provide PostgreSQL for the SDK import test');

describe.runIf(pgUrl)('SDK importCsv', () => {
  let api: TestApi;
  let token: string;
  let service: StudioClient;
  let sql: (text: string) => Promise<unknown>;
  let projectId: string;
  const schema = `sdk_imp_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    api = await startTestApi(testTargets[0]!);
    token = (await api.token('Admin')).token;
    service = createClient({ url: api.url, token });
    const u = new URL(pgUrl!);
    const connection = await service.connections.create.mutate({ workspaceSlug: 'twsbp', name: `sdk-${schema}`, type: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) });
    // The table is made through the console with writes allowed (the SDK has no driver of its own).
    await service.console.setAccess.mutate({ workspaceSlug: 'twsbp', connectionId: connection.id, access: 'read-write' });
    sql = (text) => service.console.run.mutate({ workspaceSlug: 'twsbp', connectionId: connection.id, sql: text, mode: 'read-write' });
    await sql(`CREATE SCHEMA ${schema}`);
    await sql(`CREATE TABLE ${schema}.notes (id integer PRIMARY KEY, body text NOT NULL)`);
    await sql(`CREATE TABLE ${schema}.lines (id integer PRIMARY KEY, body text NOT NULL)`);
    projectId = (await service.projects.create.mutate({ workspaceSlug: 'twsbp', name: `sdk-notes-${schema}`, connectionId: connection.id })).id;
  });

  afterAll(async () => {
    await sql?.(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await api?.close();
  });

  it('uploads a file, follows the run with the typed client, and refuses an unknown table as table_not_found', async () => {
    const run = await importCsv({ url: api.url, token }, { workspaceSlug: 'twsbp', projectId, table: `${schema}.notes`, file: new TextEncoder().encode('id,body\n1,"hello, world"\n2,""\n'), fileName: 'notes.csv' });
    expect(run).toMatchObject({ fileName: 'notes.csv', table: `${schema}.notes`, mode: 'insert' });
    expect(run.startedAt).toBeInstanceOf(Date);
    let current = await service.imports.get.query({ workspaceSlug: 'twsbp', projectId, importId: run.id });
    for (let i = 0; i < 100 && current.outcome === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await service.imports.get.query({ workspaceSlug: 'twsbp', projectId, importId: run.id });
    }
    expect(current).toMatchObject({ outcome: 'succeeded', rowsWritten: 2 });
    const rows = (await sql(`SELECT id, body, body IS NULL AS is_null FROM ${schema}.notes ORDER BY id`)) as { resultSets: { rows: unknown[][] }[] };
    expect(JSON.stringify(rows)).toContain('hello, world');
    const refused = await importCsv({ url: api.url, token }, { workspaceSlug: 'twsbp', projectId, table: `${schema}.missing`, file: new Blob(['id\n1\n']) }).catch((error: unknown) => error);
    expect(isStudioApiError(refused)).toBe(true);
    expect(refused).toMatchObject({ error: 'table_not_found', status: 400, code: 'BAD_REQUEST', details: { field: 'table' } });
  });

  it('streams a file from disk and a Node stream, and waits for the end with progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdk-import-'));
    try {
      const path = join(dir, 'lines-1.csv');
      await writeFile(path, `id,body\n${Array.from({ length: 3_000 }, (_, i) => `${i + 1},line ${i + 1}`).join('\n')}\n`);
      const fromDisk = await importCsv({ url: api.url, token }, { workspaceSlug: 'twsbp', projectId, table: `${schema}.lines`, file: { path } });
      expect(fromDisk.fileName).toBe('lines-1.csv');
      const seen: ImportRun[] = [];
      const ended = await waitForImport(service, { workspaceSlug: 'twsbp', projectId, importId: fromDisk.id }, { intervalMs: 20, onProgress: (run) => seen.push(run) });
      expect(ended).toMatchObject({ id: fromDisk.id, outcome: 'succeeded', rowsWritten: 3_000 });
      expect(seen.at(-1)).toEqual(ended);

      // A Node stream, sent chunk by chunk as it is read.
      async function* slowly() {
        yield Buffer.from('id,body\n');
        for (let i = 3_001; i <= 3_040; i++) yield Buffer.from(`${i},streamed ${i}\n`);
      }
      const streamed = await importCsv({ url: api.url, token }, { workspaceSlug: 'twsbp', projectId, table: `${schema}.lines`, file: Readable.from(slowly()), fileName: 'lines-2.csv', errorPolicy: 'skip' });
      const progress: string[] = [];
      const done = await waitForImport(service, { workspaceSlug: 'twsbp', projectId, importId: streamed.id }, { intervalMs: 20, onProgress: (run) => progress.push(run.outcome) });
      expect(done).toMatchObject({ outcome: 'succeeded', rowsWritten: 40, fileName: 'lines-2.csv' });
      expect(progress.at(-1)).toBe('succeeded');
      const count = (await sql(`SELECT count(*)::int AS n FROM ${schema}.lines`)) as { resultSets: { rows: unknown[][] }[] };
      expect(JSON.stringify(count)).toContain('3040');

      // Waiting stops when asked; the run itself is not touched.
      const controller = new AbortController();
      controller.abort(new Error('enough'));
      await expect(waitForImport(service, { workspaceSlug: 'twsbp', projectId, importId: streamed.id }, { signal: controller.signal })).rejects.toThrow('enough');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
