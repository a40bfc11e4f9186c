// sqlEditor.execute / cancel / parameters: run a published procedure by RPC on the target
// environment, stop it from another call, and show its parameters for the run form. Parameter
// values are never audited (they may be personal data); names, outcome and timing are.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { ServiceError } from '../../services/errors';
import { SqlServerError } from '../../services/sql-editor';
import { authorizeOnTarget, principalKeyOf, type SqlEditorContext } from './_schemas';
import type { cancelInput, executeInput } from './execute.schema';
import type { byId } from './_schemas';

function notPublished(): ServiceError {
  return new ServiceError('precondition_failed', 'The procedure has not been published yet; publish it before running it', { field: 'procedureId', reason: 'not_published' });
}

/**
 * The procedure's record and where it runs: independent reads, made side by side. The record's
 * not-found is the answer when both fail, as when they ran one after the other.
 */
async function recordAndTarget(ctx: SqlEditorContext, procedureId: string, environmentId: string | undefined) {
  const [record, target] = await Promise.allSettled([ctx.sqlEditor.runnable(ctx.workspace.id, procedureId), ctx.sqlEditor.targetOf(ctx.workspace.id, environmentId)]);
  if (record.status === 'rejected') throw record.reason;
  if (target.status === 'rejected') throw target.reason;
  return { record: record.value, target: target.value };
}

/**
 * `signal` aborts when the caller goes away (HTTP client hung up, Remix request closed): the running
 * statement is then cancelled like an explicit cancel, so an abandoned request does not hold a pooled
 * connection until the statement's timeout.
 */
export async function executeHandler({ ctx, input, signal }: { ctx: SqlEditorContext; input: z.output<typeof executeInput>; signal?: AbortSignal | undefined }) {
  const editor = ctx.sqlEditor;
  const { record, target } = await recordAndTarget(ctx, input.procedureId, input.environmentId);
  await authorizeOnTarget(ctx, 'procedure.execute', target, record.id);
  if (record.status !== 'published') throw notPublished();
  const executionId = input.executionId ?? randomUUID();
  const running = editor.executions.start({ id: executionId, workspaceId: ctx.workspace.id, procedureId: record.id, owner: principalKeyOf(ctx) });
  // The run happens on the workspace server, outside any system transaction; its audit row is
  // committed before the answer, and a run whose row cannot be written is not answered as a
  // success (the console's rule, decision 010; batching in decision 024).
  let auditFailed = false;
  const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
    ctx.commitAudit({
      workspaceId: ctx.workspace.id,
      action: 'procedure.execute',
      target: { type: 'procedure', id: record.id },
      outcome,
      details: { name: record.qualifiedName, executionId, environmentId: target.environmentId, parameterNames: Object.keys(input.parameters), ...details },
    }).catch((error: unknown) => {
      auditFailed = true;
      throw error;
    });
  const abandon = () => running.execution.cancel();
  if (signal?.aborted) abandon();
  else signal?.addEventListener('abort', abandon, { once: true });
  try {
    // Per connection: one caller's burst waits briefly for a slot, then is refused, instead of
    // holding every pooled connection.
    const result = await ctx.executionBudget.run(target.connectionId, () =>
      editor.execute(target, record, { parameters: input.parameters, rowLimit: input.rowLimit, timeoutMs: input.timeoutMs }, running),
    );
    await audit('success', { status: result.status, elapsedMs: result.elapsedMs, resultSets: result.resultSets.length, truncated: result.truncated });
    return { procedureId: record.id, environmentId: target.environmentId, ...result };
  } catch (error) {
    if (auditFailed) throw error;
    await audit('failure', error instanceof SqlServerError ? { errorNumber: error.server.number, line: error.server.line } : { errorCode: (error as { code?: unknown }).code ?? null });
    throw error;
  } finally {
    signal?.removeEventListener('abort', abandon);
    running.finish();
  }
}

export async function cancelHandler({ ctx, input }: { ctx: SqlEditorContext; input: z.output<typeof cancelInput> }) {
  const execution = ctx.sqlEditor.executions.find(ctx.workspace.id, input.executionId);
  await ctx.authorizer.requireThat(execution.owner === principalKeyOf(ctx), {
    workspaceId: ctx.workspace.id,
    action: 'procedure.cancel',
    target: { type: 'procedure', id: execution.procedureId },
    reason: 'not_execution_owner',
  });
  execution.cancel();
  await ctx.recordAudit({
    workspaceId: ctx.workspace.id,
    action: 'procedure.cancel',
    target: { type: 'procedure', id: execution.procedureId },
    outcome: 'success',
    details: { executionId: execution.id },
  });
  return { executionId: execution.id, cancelRequested: true as const };
}

export async function parametersHandler({ ctx, input }: { ctx: SqlEditorContext; input: z.output<typeof byId> & { environmentId?: string | undefined } }) {
  const editor = ctx.sqlEditor;
  const { record, target } = await recordAndTarget(ctx, input.procedureId, input.environmentId);
  await authorizeOnTarget(ctx, 'procedure.execute', target, record.id);
  if (record.status !== 'published') throw notPublished();
  return { procedureId: record.id, environmentId: target.environmentId, parameters: await editor.parameters(target, { schema: record.schema, name: record.procedureName }, record.publishedAt) };
}
