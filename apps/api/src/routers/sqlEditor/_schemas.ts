// Inputs shared by the SQL editor procedures, and what every handler needs: the editor service
// for this request, who may do what on the target connection, and SQL Server failures in F10 shape.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../../context';
import { CircuitOpenError } from '@studio/mssql-pool';
import { ApiProblem, toTRPCError } from '../../errors';
import type { WorkspaceScope } from '../../services/authorization';
import { can } from '../../services/policy';
import { authorizeOnConnection, connectionFactsOf, connectionVerdicts } from '../_permissions';
import { ServiceError } from '../../services/errors';
import { EnvironmentUnavailableError, SqlServerError, type PublishTarget } from '../../services/sql-editor';
import { workspaceProcedure } from '../../trpc';

export type SqlEditorContext = Context & { principal: NonNullable<Context['principal']>; workspace: WorkspaceScope };

/** Drafts are at most 1 MiB of text (a procedure, not a data dump). */
export const MAX_DRAFT_LENGTH = 1_048_576;

export const byId = z.object({ procedureId: z.uuid() });

export const procedureNameInput = z.string().min(1).max(128);

/** `user:<id>` / `token:<id>`: who owns an execution. */
export function principalKeyOf(ctx: SqlEditorContext): string {
  return ctx.principal.kind === 'user' ? `user:${ctx.principal.userId}` : `token:${ctx.principal.tokenId}`;
}

type ConnectionAction = 'procedure.draft' | 'procedure.execute' | 'procedure.publish' | 'procedure.delete';

/**
 * F6 for the editor: Owners/Admins always; Members draft and run with `use` on the target
 * connection (a grant, or the default environment's connection) and publish/delete with a
 * `manage` grant; Viewers never. Denials are audited by the Authorizer.
 */
export async function authorizeOnTarget(ctx: SqlEditorContext, action: ConnectionAction, target: PublishTarget | null, procedureId: string | null): Promise<void> {
  // Owners/Admins need no facts; Viewers are refused by role whatever the connection.
  const facts = target === null || ctx.workspace.actor.role !== 'Member' ? null : await connectionFactsOf(ctx, target.connectionId);
  await authorizeOnConnection(ctx, action, facts, { type: 'procedure', id: procedureId });
}

/** What the caller may do with procedures on the default environment's connection (for the editor's buttons). */
export async function editorVerdicts(ctx: SqlEditorContext) {
  const target = ctx.workspace.actor.role === 'Member' ? await defaultTargetOrNull(ctx) : null;
  const verdicts = connectionVerdicts(ctx.workspace, target === null ? null : await connectionFactsOf(ctx, target.connectionId));
  return { draft: verdicts['procedure.draft'], publish: verdicts['procedure.publish'], execute: verdicts['procedure.execute'], delete: verdicts['procedure.delete'] };
}

/** The default environment's target; null when the workspace has none. */
function defaultTargetOrNull(ctx: SqlEditorContext): Promise<PublishTarget | null> {
  return ctx.sqlEditor.targetOf(ctx.workspace.id).catch((error: unknown) => {
    if (error instanceof ServiceError && error.code === 'precondition_failed') return null;
    throw error;
  });
}

/** Drafting targets the default environment; a workspace without one leaves Members only reading. */
export async function authorizeDraft(ctx: SqlEditorContext, procedureId: string | null): Promise<void> {
  if (can(ctx.workspace.actor, 'procedure.draft')) return;
  const target = ctx.workspace.actor.role === 'Member' ? await defaultTargetOrNull(ctx) : null;
  await authorizeOnTarget(ctx, 'procedure.draft', target, procedureId);
}

/**
 * An unreachable environment: the pool's failure as the shared mapping has it (code, reason,
 * Retry-After), said naming the environment and host, and the circuit's state when it is open:
 * "Staging (10.1.2.3) is unavailable: circuit open after 5 failures; retry in 12 s".
 */
function environmentProblemOf(error: EnvironmentUnavailableError): TRPCError {
  const base = toTRPCError(error.cause);
  if (!(base.cause instanceof ApiProblem)) return base;
  const { details } = base.cause.problem;
  const pool = error.cause;
  const { name, host } = error.environment;
  const reason = typeof details.reason === 'string' ? details.reason.replaceAll('_', ' ') : 'not reachable';
  const retry = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  const circuit = pool instanceof CircuitOpenError ? { state: 'circuit_open', failures: pool.failures, retryAt: pool.retryAt.toISOString() } : { state: retry === null ? 'refused' : 'unreachable' };
  const what = pool instanceof CircuitOpenError ? `circuit open after ${pool.failures} failure${pool.failures === 1 ? '' : 's'}` : reason;
  const message = retry === null ? `${name} (${host}) refused the connection: ${reason}` : `${name} (${host}) is unavailable: ${what}; retry in ${retry} s`;
  return new TRPCError({
    code: base.code,
    message,
    cause: new ApiProblem({
      error: base.cause.problem.error,
      message,
      details: { ...details, ...circuit, environmentId: error.environment.id, environmentName: name, host, port: error.environment.port },
    }),
  });
}

/** SQL Server's answer in the F10 shape; everything else goes to the shared mapping. */
function sqlProblemOf(error: unknown): TRPCError | null {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof EnvironmentUnavailableError) return environmentProblemOf(cause);
  if (cause instanceof SqlServerError) {
    const s = cause.server;
    return new TRPCError({
      code: 'BAD_REQUEST',
      message: s.message,
      cause: new ApiProblem({
        error: 'sql_error',
        message: s.message,
        details: { number: s.number, line: s.line, serverLine: s.serverLine, severity: s.severity, state: s.state, procedure: s.procedure, ...cause.extra },
      }),
    });
  }
  return null;
}

/** Workspace procedures of the editor: SQL Server errors become `sql_error`; an unreachable environment is named. */
export const sqlEditorProcedure = workspaceProcedure.use(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const mapped = sqlProblemOf(result.error);
  return mapped ? { ...result, error: mapped } : result;
});
