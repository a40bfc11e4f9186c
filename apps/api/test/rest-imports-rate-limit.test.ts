// Imports are limited per person (20 an hour by default; RATE_LIMITS importStart=… overrides it,
// here 2 so the test stays quick): past the limit a start is refused with 429 in the F10 shape and
// the RateLimit headers, before the upload is read, and nothing is imported; someone else still may.
import { randomBytes } from 'node:crypto';
import { testTargets } from '@studio/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRateLimits } from '../src/services/rate-limits';
import { startTestApp, type TestApp } from './support/http-app';

const pgUrl = process.env.PG_URL;
if (!pgUrl && process.env.CI === 'true') throw new Error('PG_URL not set: CI must provide PostgreSQL for the import tests');

describe.runIf(pgUrl)('import rate limit', () => {
  let test: TestApp;
  let admin: pg.Pool;
  let projectId: string;
  const schema = `imp_rl_${randomBytes(4).toString('hex')}`;

  const post = (token: string, path: string, body: string, contentType: string) =>
    fetch(`${test.app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  const startImport = (token: string, csv: string) => post(token, `/api/v1/workspaces/twsbp/projects/${projectId}/imports?table=${schema}.items`, csv, 'text/csv');

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.items (id integer PRIMARY KEY, name text)`);
    test = await startTestApp(testTargets[0]!, { RATE_LIMITS: 'importStart=2/3600' });
    const token = await test.token('Admin');
    const u = new URL(pgUrl!);
    const connection = (await (
      await post(
        token,
        '/api/v1/workspaces/twsbp/connections',
        JSON.stringify({ name: `rl-${schema}`, type: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }),
        'application/json',
      )
    ).json()) as { id: string };
    projectId = ((await (await post(token, '/api/v1/workspaces/twsbp/projects', JSON.stringify({ name: `rl-${schema}`, connectionId: connection.id }), 'application/json')).json()) as { id: string }).id;
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  it('defaults to 20 imports an hour per person', () => {
    expect(defaultRateLimits.importStart).toEqual({ points: 20, durationSeconds: 3_600 });
  });

  it('answers 429 rate_limited with RateLimit headers and Retry-After past the limit; nothing of the refused file lands', async () => {
    const token = await test.token('Admin');
    const answers = [];
    for (const id of [1, 2, 3]) answers.push(await startImport(token, `id,name\n${id},item ${id}\n`));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    expect(answers.map((answer) => answer.headers.get('ratelimit-limit'))).toEqual(['2', '2', '2']);
    expect(answers.map((answer) => answer.headers.get('ratelimit-remaining'))).toEqual(['1', '0', '0']);
    const refused = answers[2]!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(3_600);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', message: expect.any(String), details: { bucket: 'importStart', limit: 2 } });
    for (const answer of answers.slice(0, 2)) {
      const run = (await answer.json()) as { id: string };
      await test.app.services.imports.settled(run.id);
    }
    expect((await admin.query(`SELECT id FROM ${schema}.items ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 2 }]);

    // The limit is per person: another one still has theirs.
    const other = await test.token('Admin');
    const theirs = await startImport(other, 'id,name\n4,item 4\n');
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('ratelimit-remaining')).toBe('1');
    await test.app.services.imports.settled(((await theirs.json()) as { id: string }).id);
  });
});
