// Budgets cannot be multiplied and nothing costly is unlimited: a token spends its creator's
// budget; minting tokens, creating workspaces and validating (a DNS lookup of a caller-chosen
// name) are limited; sign-in has a per-address budget beside the per-username one; executions
// have a per-connection concurrency budget (wait briefly, then 429 with a retry-after).
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRateLimits } from '../src/services/rate-limits';
import { createHarness, problemOf, TEST_PASSWORD, useHarness, type Harness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['budget_exec']);

describe.each(testTargets)('rate-limit budgets on $name', (target) => {
  const h = useHarness(target);

  async function admin() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const person = await h.user('admin');
    await h.member(ws.id, person, 'Admin');
    return { ws, person, api: h.caller(person.principal) };
  }

  it("a token made by a person spends that person's budget: two tokens do not double it", async () => {
    const { ws, api } = await admin();
    const tokens = await Promise.all(['a', 'b'].map((name) => api.tokens.create({ workspaceId: ws.id, name, role: 'Admin' })));
    const asToken = async (token: string) => h.caller((await h.services.tokens.authenticate(token))!);
    const create = (caller: ReturnType<Harness['caller']>, name: string) =>
      caller.connections.create({ workspaceId: ws.id, name, type: 'postgres', host: '10.0.0.1', port: 5432, database: 'd', user: 'u' });
    for (let i = 0; i < 4; i += 1) await create(await asToken(tokens[0]!.token), `a${i}`);
    for (let i = 0; i < 4; i += 1) await create(await asToken(tokens[1]!.token), `b${i}`);
    await create(api, 'p0');
    await create(api, 'p1');
    const problem = await problemOf(create(await asToken(tokens[1]!.token), 'over'));
    expect(problem).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', details: { bucket: 'connectionCreate', limit: 10 } });
    expect(await problemOf(create(api, 'over-too'))).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'connectionCreate' } });
  });

  it('limits token creation (20/h) and workspace creation (10/h) per person', async () => {
    const { ws, api } = await admin();
    for (let i = 0; i < 20; i += 1) await api.tokens.create({ workspaceId: ws.id, name: `t${i}`, role: 'Viewer' });
    const tokens = await problemOf(api.tokens.create({ workspaceId: ws.id, name: 'one-more', role: 'Viewer' }));
    expect(tokens).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'tokenCreate', limit: 20 } });
    expect(tokens.details.retryAfterSeconds).toBeGreaterThan(3_000);

    const person = await h.user('founder');
    const founder = h.caller(person.principal);
    const slug = () => `ws-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 10; i += 1) await founder.workspaces.create({ name: `w${i}`, slug: slug() });
    expect(await problemOf(founder.workspaces.create({ name: 'one-more', slug: slug() }))).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'workspaceCreate', limit: 10 } });
  });

  it('limits connections.validate (60/min): each call resolves a caller-chosen name', async () => {
    const { ws, api } = await admin();
    const draft = { workspaceId: ws.id, type: 'postgres' as const, host: 'db.test', port: 5432, database: 'd', user: 'u' };
    for (let i = 0; i < 60; i += 1) await api.connections.validate(draft);
    expect(await problemOf(api.connections.validate(draft))).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'connectionValidate', limit: 60 } });
  });

  it('lets a second execution on a busy connection wait for a slot, and refuses it with a retry-after when none frees in time', { timeout: 60_000 }, async () => {
    const local = await createHarness(target, { executionBudget: { concurrency: 1, maxWaitMs: 500 } });
    try {
      const { ws, owner } = await editorWorkspace(local, server, 'budget_exec', { poolSize: 4 });
      const caller = local.caller(owner.principal);
      const sleeper = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Sleeper', sqlDraft: "CREATE PROCEDURE dbo.Sleeper AS\nBEGIN\n  WAITFOR DELAY '00:00:03';\n  SELECT 'done' AS phase;\nEND" });
      await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: sleeper.id });
      const quick = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Quick', sqlDraft: 'CREATE PROCEDURE dbo.Quick AS SELECT 1 AS one' });
      await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: quick.id });

      const slow = caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: sleeper.id });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refused = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick.id }));
      expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', details: { bucket: 'executionsPerConnection', limit: 1, retryAfterSeconds: 1 } });
      await expect(slow).resolves.toMatchObject({ status: 'completed' });
      // Free again: the next call runs at once.
      await expect(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick.id })).resolves.toMatchObject({ status: 'completed' });
    } finally {
      await local.dispose();
    }
  });
});

describe.each(testTargets)('sign-in budgets on $name', (target) => {
  let h: Harness;

  beforeAll(async () => {
    // Small budgets so the test makes few argon2 verifications.
    h = await createHarness(target, { rateLimits: { ...defaultRateLimits, signIn: { points: 3, durationSeconds: 900 }, signInIp: { points: 5, durationSeconds: 900 } } });
  });

  afterAll(async () => {
    await h?.dispose();
  });

  it('one address cannot spread guesses over many usernames; other addresses are unaffected', async () => {
    const fromA = h.caller(null, { ip: '198.51.100.1' });
    for (let i = 0; i < 5; i += 1) {
      expect(await problemOf(fromA.auth.signIn({ username: `nobody${i}`, password: 'guess' }))).toMatchObject({ code: 'UNAUTHORIZED', error: 'authentication_failed' });
    }
    const sixth = await problemOf(fromA.auth.signIn({ username: 'nobody-else', password: 'guess' }));
    expect(sixth).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'signInIp', limit: 5 } });

    const real = await h.user('real');
    await expect(h.caller(null, { ip: '198.51.100.2' }).auth.signIn({ username: real.username, password: TEST_PASSWORD })).resolves.toMatchObject({ user: { id: real.id } });
  });
});
