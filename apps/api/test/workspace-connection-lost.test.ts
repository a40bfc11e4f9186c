// A workspace server that dies mid-call is a transient failure: the call answers 503
// connection_operation_failed (reason connection_lost) with Retry-After, the failure is audited,
// and the next call reconnects without waiting for a circuit to time out.
import { testTargets } from '@studio/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { httpStatusOf } from '../src/errors';

const server = useEditorSqlServer(['editor_lost']);

// The system database plays no part here: the embedded one is enough.
describe.each(testTargets.slice(0, 1))('a workspace connection lost mid-call on $name', (target) => {
  const h = useHarness(target);
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it('answers 503 connection_operation_failed with retryAfterSeconds, and the next call succeeds', { timeout: 60_000 }, async () => {
    proxy = await startTcpProxy(server.emulator.port);
    const { ws, owner } = await editorWorkspace(h, { ...server, params: (database) => ({ ...server.params(database), port: proxy!.port }) }, 'editor_lost', { poolSize: 2 });
    const caller = h.caller(owner.principal);
    const sleeper = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Sleeper', sqlDraft: "CREATE PROCEDURE dbo.Sleeper AS WAITFOR DELAY '00:00:30'" });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: sleeper.id });
    const quick = await caller.sqlEditor.create({ workspaceId: ws.id, name: 'Quick', sqlDraft: 'CREATE PROCEDURE dbo.Quick AS SELECT 1 AS one' });
    await caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: quick.id });

    const running = caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: sleeper.id });
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.reset();
    const failure = await running.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(httpStatusOf(failure)).toBe(503);
    const problem = await problemOf(Promise.reject(failure));
    expect(problem).toMatchObject({
      error: 'connection_operation_failed',
      details: { reason: 'connection_lost', database_type: 'mssql', retryAfterSeconds: expect.any(Number) },
    });
    // The sentence is ours, naming the environment and its host (issue 16): no driver text, no credential.
    expect(problem.message).toBe(`Production (127.0.0.1) is unavailable: connection lost; retry in ${String(problem.details.retryAfterSeconds)} s`);
    expect(problem.message).not.toMatch(/Passw0rd/);

    // The pool saw the lost connection; the next call reconnects at once (no circuit to wait out).
    const started = performance.now();
    const next = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick.id });
    expect(next.status).toBe('completed');
    expect(performance.now() - started).toBeLessThan(5_000);

    const audit = await h.auditRows(ws.id);
    expect(audit.filter((row) => row.action === 'procedure.execute').map((row) => row.outcome)).toContain('failure');
  });
});
