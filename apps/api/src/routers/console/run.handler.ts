// console.run / console.cancel: run text on a connection in the mode it allows, stop a run from
// another call. Every run is audited (a hash and the first 200 characters of the text, never the
// parameter values) and, for a person, kept in their history.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { auditActorOf } from '../../services/authorization';
import { InvalidInputError, ServiceError } from '../../services/errors';
import { sqlFingerprint, type ConsoleRunResult } from '../../services/console';
import { authorizeRun, principalKeyOf, type ConsoleContext } from './_schemas';
import type { cancelInput, exportInput, runInput } from './run.schema';

function rowsOf(result: ConsoleRunResult): number {
  return result.resultSets.reduce((sum, set) => sum + set.rowCount, 0) + result.rowsAffected.reduce((sum, n) => sum + n, 0);
}

/**
 * `signal` aborts when the caller goes away (HTTP client hung up, browser left the page): the run
 * is then cancelled on the server like an explicit cancel.
 */
export async function runHandler({ ctx, input, signal }: { ctx: ConsoleContext; input: z.output<typeof runInput>; signal?: AbortSignal | undefined }) {
  const consoleService = ctx.console;
  const target = await consoleService.targetOf(ctx.workspace.id, input.connectionId);
  await authorizeRun(ctx, target);
  const runId = input.runId ?? randomUUID();
  const timeoutMs = consoleService.timeoutFor(target, input.timeoutMs);
  const started = Date.now();
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
  // The run itself happened on the workspace database, outside any system transaction; what the
  // system database keeps of it (the audit row and the person's history entry) is written by one
  // statement, and a run whose record cannot be written is not answered as a success.
  let recordFailed = false;
  const record = async (outcome: 'success' | 'error' | 'cancelled' | 'timeout', rows: number, details: Record<string, unknown>) => {
    const durationMs = Date.now() - started;
    const audit = ctx.audit.rowOf({
      actor: auditActorOf(ctx.principal),
      ip: ctx.requestMeta.ip,
      userAgent: ctx.requestMeta.userAgent,
      workspaceId: ctx.workspace.id,
      action: 'console.run',
      target: { type: 'connection', id: target.database.connectionId },
      outcome: outcome === 'success' || outcome === 'cancelled' ? 'success' : 'failure',
      details: {
        runId,
        ...sqlFingerprint(input.sql),
        mode: input.mode,
        databaseType: target.type,
        status: outcome,
        durationMs,
        rows,
        parameterCount: Array.isArray(input.parameters) ? input.parameters.length : Object.keys(input.parameters).length,
        ...details,
      },
    });
    const errorCode = typeof details.errorCode === 'string' ? details.errorCode : null;
    const history = userId === null ? null : { workspaceId: ctx.workspace.id, connectionId: target.database.connectionId, userId, sql: input.sql, outcome, durationMs, rowCount: rows, errorCode };
    await consoleService.recordRun(audit, history).catch((error: unknown) => {
      recordFailed = true;
      throw error;
    });
  };

  let running: ReturnType<typeof consoleService.runs.start> | undefined;
  const abandon = () => running?.execution.cancel();
  try {
    if (!Array.isArray(input.parameters) && target.type !== 'mssql') {
      throw new InvalidInputError('parameters', `parameters: ${target.type === 'postgres' ? 'PostgreSQL binds $1, $2, …' : 'MySQL binds ? by position'}: send a list, not names`);
    }
    consoleService.checkMode(target, input.mode, input.sql);
    running = consoleService.runs.start({ id: runId, workspaceId: ctx.workspace.id, connectionId: target.database.connectionId, owner: principalKeyOf(ctx) });
    if (signal?.aborted) abandon();
    else signal?.addEventListener('abort', abandon, { once: true });
    const started = running;
    // Per connection: one caller's burst waits briefly for a slot, then is refused.
    const result = await ctx.executionBudget.run(target.database.connectionId, () =>
      consoleService.run(target, { sql: input.sql, parameters: input.parameters, mode: input.mode }, { rowLimit: input.rowLimit, timeoutMs }, started),
    );
    await record(result.status === 'cancelled' ? 'cancelled' : 'success', rowsOf(result), { truncated: result.truncated, resultSets: result.resultSets.length });
    return { ...result, connectionId: target.database.connectionId };
  } catch (error) {
    if (recordFailed) throw error;
    const code = error instanceof ServiceError ? error.code : ((error as { code?: unknown }).code ?? null);
    const databaseCode = error instanceof ServiceError ? (error.details.databaseCode ?? error.details.reason ?? null) : null;
    await record(code === 'query_timeout' ? 'timeout' : 'error', 0, { errorCode: typeof databaseCode === 'string' ? databaseCode : typeof code === 'string' ? code : null });
    throw error;
  } finally {
    signal?.removeEventListener('abort', abandon);
    running?.finish();
  }
}

export async function cancelHandler({ ctx, input }: { ctx: ConsoleContext; input: z.output<typeof cancelInput> }) {
  const run = ctx.console.runs.find(ctx.workspace.id, input.runId);
  await ctx.authorizer.requireThat(run.owner === principalKeyOf(ctx), {
    workspaceId: ctx.workspace.id,
    action: 'console.cancel',
    target: { type: 'connection', id: run.connectionId },
    reason: 'not_run_owner',
  });
  run.cancel();
  await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'console.cancel', target: { type: 'connection', id: run.connectionId }, outcome: 'success', details: { runId: run.id } });
  return { runId: run.id, cancelRequested: true as const };
}

/**
 * console.export: the first result set as CSV or JSON, streamed (see services/console/export.ts).
 * Authorised, mode-checked and registered as a run now; the query starts when the transport opens
 * the download, and the audit row is written when the stream ends.
 */
export async function exportHandler({ ctx, input }: { ctx: ConsoleContext; input: z.output<typeof exportInput> }) {
  const consoleService = ctx.console;
  const target = await consoleService.targetOf(ctx.workspace.id, input.connectionId);
  await authorizeRun(ctx, target);
  if (!Array.isArray(input.parameters) && target.type !== 'mssql') {
    throw new InvalidInputError('parameters', `parameters: ${target.type === 'postgres' ? 'PostgreSQL binds $1, $2, …' : 'MySQL binds ? by position'}: send a list, not names`);
  }
  consoleService.checkMode(target, input.mode, input.sql);
  const timeoutMs = consoleService.timeoutFor(target, input.timeoutMs);
  const runId = randomUUID();
  const audit = ctx.recordAudit;
  const owner = principalKeyOf(ctx);
  const workspaceId = ctx.workspace.id;
  return consoleService.download(input.format, target.name, () => {
    const started = Date.now();
    const running = consoleService.runs.start({ id: runId, workspaceId, connectionId: target.database.connectionId, owner });
    return consoleService.exportStream(target, { sql: input.sql, parameters: input.parameters, mode: input.mode }, { format: input.format, timeoutMs }, running, async ({ progress, error }) => {
      const code = error instanceof ServiceError ? error.code : error ? 'cancelled' : null;
      await audit({
        workspaceId,
        action: 'console.export',
        target: { type: 'connection', id: target.database.connectionId },
        outcome: error ? 'failure' : 'success',
        details: { runId, ...sqlFingerprint(input.sql), mode: input.mode, format: input.format, rows: progress.rows, capped: progress.capped, durationMs: Date.now() - started, errorCode: code },
      }).catch(() => undefined);
    });
  });
}
