// F7: a running execution is cancelled from another call (TDS attention): execute returns promptly
// with status 'cancelled' and the pooled connection serves the next call. The timeout does the
// same and answers query_timeout. Only the user who started an execution may cancel it.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_cancel']);

describe.each(testTargets)('sqlEditor cancel on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  async function publishedSleeper(caller: ReturnType<typeof h.caller>, workspaceId: string) {
    const created = await caller.sqlEditor.create({
      workspaceId,
      name: `Sleeper_${suffix}`,
      sqlDraft: `CREATE PROCEDURE dbo.Sleeper_${suffix} @seconds INT = 60 AS\nBEGIN\n  SELECT 'started' AS phase;\n  WAITFOR DELAY '00:01:00';\n  SELECT 'finished' AS phase;\nEND`,
    });
    await caller.sqlEditor.publish({ workspaceId, procedureId: created.id });
    const quick = await caller.sqlEditor.create({ workspaceId, name: `Quick_${suffix}`, sqlDraft: `CREATE PROCEDURE dbo.Quick_${suffix} AS SELECT @@SPID AS spid` });
    await caller.sqlEditor.publish({ workspaceId, procedureId: quick.id });
    return { sleeper: created.id, quick: quick.id };
  }

  /** Cancels as soon as the execution is registered (the execute call is still in flight). */
  async function cancelWhenRunning(caller: ReturnType<typeof h.caller>, workspaceId: string, executionId: string) {
    for (;;) {
      try {
        return await caller.sqlEditor.cancel({ workspaceId, executionId });
      } catch (error) {
        if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  it('cancels a WAITFOR promptly and the single pooled connection is reusable afterwards', { timeout: 40_000 }, async () => {
    const { ws, owner, member } = await editorWorkspace(h, server, 'editor_cancel', { poolSize: 1 });
    const caller = h.caller(owner.principal);
    const { sleeper, quick } = await publishedSleeper(caller, ws.id);
    const before = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick });

    const executionId = crypto.randomUUID();
    const running = caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: sleeper, executionId });
    // Someone else cannot stop it: FORBIDDEN, audited.
    const other = await member('Admin');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const denied = await problemOf(other.caller.sqlEditor.cancel({ workspaceId: ws.id, executionId }));
    expect(denied).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_execution_owner' } });

    expect(await cancelWhenRunning(caller, ws.id, executionId)).toEqual({ executionId, cancelRequested: true });
    const result = await running;
    expect(result).toMatchObject({ executionId, status: 'cancelled', returnValue: null });
    // Whatever arrived before the attention is kept; the second result set never came.
    expect(result.resultSets.flatMap((s) => s.rows)).not.toContainEqual(['finished']);

    // The same (only) connection runs the next call: same server session id.
    const after = await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick });
    expect(after.status).toBe('completed');
    expect(after.resultSets[0]?.rows).toEqual(before.resultSets[0]?.rows);
    expect(await problemOf(caller.sqlEditor.cancel({ workspaceId: ws.id, executionId }))).toMatchObject({ code: 'NOT_FOUND' });

    const audit = await h.auditRows(ws.id);
    expect(audit.filter((row) => row.action === 'procedure.cancel').map((row) => row.outcome).sort()).toEqual(['denied', 'success']);
    expect(audit.find((row) => row.action === 'procedure.execute' && row.details && (row.details as { executionId?: string }).executionId === executionId)?.details).toMatchObject({ status: 'cancelled' });
  });

  it('cancels at the timeout with query_timeout and keeps the connection usable', { timeout: 40_000 }, async () => {
    const { ws, owner } = await editorWorkspace(h, server, 'editor_cancel', { poolSize: 1 });
    const caller = h.caller(owner.principal);
    const { sleeper, quick } = await publishedSleeper(caller, ws.id);
    const problem = await problemOf(caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: sleeper, timeoutMs: 300 }));
    expect(problem).toMatchObject({ code: 'TIMEOUT', error: 'query_timeout', message: 'The query did not finish within 300 ms and was stopped on the server', details: { timeoutMs: 300 } });
    expect((await caller.sqlEditor.execute({ workspaceId: ws.id, procedureId: quick })).status).toBe('completed');
    // Every connection is back in the pool.
    const pools = h.services.pools.stats().pools.filter((p) => p.key.startsWith(`${ws.id}:`));
    expect(pools.map((p) => p.borrowed)).toEqual([0]);
  });
});
