// REST for the SQL editor: list and get are published under /api/v1 for API-token consumers (dates
// as ISO 8601, the declared columns only); execute stays on tRPC, whose superjson keeps bigint,
// binary and dates typed.
import { createHash } from 'node:crypto';
import { storedProcedures, workspaces } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/http-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe.each(testTargets)('REST sqlEditor on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  }, 120_000);
  afterAll(async () => {
    await test?.close();
  });

  async function get(path: string, token: string) {
    const response = await fetch(`${test.app.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('lists and gets procedures for a Viewer token; unknown ids are 404 in the F10 shape', async () => {
    const db = test.app.database.db;
    const [ws] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, 'twsbp'));
    const [row] = await db
      .insert(storedProcedures)
      .values({ workspaceId: ws!.id, name: 'dbo.RestListed', sqlDraft: 'CREATE PROCEDURE dbo.RestListed AS SELECT 1' })
      .returning({ id: storedProcedures.id });
    const token = await test.token('Viewer');

    const listed = await get('/api/v1/workspaces/twsbp/procedures?search=restlisted&limit=5', token);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ nextCursor: null, items: [{ id: row!.id, qualifiedName: 'dbo.RestListed', schema: 'dbo', procedureName: 'RestListed', status: 'draft', hasUnpublishedChanges: true, publishedAt: null }] });
    const item = (listed.body.items as Record<string, unknown>[])[0]!;
    expect(item.updatedAt).toMatch(ISO);
    expect(item).not.toHaveProperty('sqlDraft');

    const one = await get(`/api/v1/workspaces/twsbp/procedures/${row!.id}`, token);
    expect(one).toMatchObject({ status: 200, body: { id: row!.id, sqlDraft: 'CREATE PROCEDURE dbo.RestListed AS SELECT 1', sqlPublished: null } });

    // What each environment runs (none published here): the draft's hash to compare with.
    const deployments = await get(`/api/v1/workspaces/twsbp/procedures/${row!.id}/deployments`, token);
    expect(deployments).toMatchObject({ status: 200, body: { procedureId: row!.id, sqlDraftHash: createHash('sha256').update('CREATE PROCEDURE dbo.RestListed AS SELECT 1').digest('hex') } });
    for (const environment of deployments.body.environments as Record<string, unknown>[]) expect(environment).toMatchObject({ deployment: null, canRun: false, canPublish: false });

    const missing = await get(`/api/v1/workspaces/twsbp/procedures/${crypto.randomUUID()}`, token);
    expect(missing).toMatchObject({ status: 404, body: { error: 'not_found', details: { field: 'procedureId' } } });
  });
});
