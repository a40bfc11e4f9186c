// A client that hangs up while its SQL editor execution runs: the statement is cancelled (TDS
// attention through the real mssql driver against the emulator) and the pooled connection is back
// within moments, not after the statement's own minute-long WAITFOR.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context';
import { appRouter } from '../src/routers/_app';
import { createCallerFactory } from '../src/trpc';
import { startTestApp, type TestApp } from './support/http-app';
import { useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_abandon']);
const pglite = testTargets.find((target) => target.name === 'pglite')!;

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('an abandoned HTTP request cancels its execution', () => {
  let test: TestApp;
  let token: string;
  let workspaceId: string;
  let sleeper: string;

  beforeAll(async () => {
    test = await startTestApp(pglite);
    token = await test.token('Owner');
    const principal = await test.app.services.tokens.authenticate(token);
    if (!principal) throw new Error('the minted token does not authenticate');
    const caller = createCallerFactory(appRouter)(createContextInner({ ...test.app.services, principal, requestMeta: { ip: null, userAgent: 'abandon-test' } }));
    workspaceId = principal.workspaceId;
    const environment = await caller.environments.create({ workspaceId, name: 'Abandon', connection: { ...server.params('editor_abandon'), options: { poolSize: 1 } }, autoMigrate: false });
    await caller.environments.setDefault({ workspaceId, environmentId: environment.environment.id });
    const created = await caller.sqlEditor.create({
      workspaceId,
      name: 'Sleeper',
      sqlDraft: "CREATE PROCEDURE dbo.Sleeper AS\nBEGIN\n  SELECT 'started' AS phase;\n  WAITFOR DELAY '00:01:00';\nEND",
    });
    await caller.sqlEditor.publish({ workspaceId, procedureId: created.id, environmentId: environment.environment.id });
    sleeper = created.id;
  }, 120_000);

  afterAll(async () => {
    await test?.close();
  });

  it('over /trpc: the hang-up stops the WAITFOR and frees the single pooled connection', { timeout: 60_000 }, async () => {
    const executions = test.app.services.sqlEditor.executions;
    const borrowed = () => test.app.services.pools.stats().pools.filter((pool) => pool.key.startsWith(`${workspaceId}:`)).reduce((sum, pool) => sum + pool.borrowed, 0);
    const client = new AbortController();
    const request = fetch(`${test.app.url}/trpc/sqlEditor.execute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { workspaceId, procedureId: sleeper } }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await until(() => executions.size === 1 && borrowed() === 1, 'the execution to hold the connection');
    const abandonedAt = Date.now();
    client.abort();
    await request;
    await until(() => executions.size === 0 && borrowed() === 0, 'the connection to return to the pool');
    // Well before the minute the statement would have waited.
    expect(Date.now() - abandonedAt).toBeLessThan(10_000);
    // The process keeps answering.
    const next = await fetch(`${test.app.url}/api/v1/health`);
    expect(next.status).toBeLessThan(500);
    const audit = await test.app.services.audit.list({ workspaceId, action: 'procedure.execute', limit: 5 });
    expect(audit.items[0]?.details).toMatchObject({ status: 'cancelled' });
  });
});
