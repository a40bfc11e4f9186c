// connections.test (a saved connection) and connections.testDraft (unsaved parameters). Both answer
// the test result, failed or not: a failing test is an answer, not an error. Audited without secrets.
import type { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import type { ConnectionTestResult } from '../../services/connection-test';
import { canManageConnection } from '../../services/policy';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import { hideLogin } from '../../services/server-messages';
import type { WorkspaceHandlerContext } from './_schemas';
import type { testDraftInput, testInput } from './test.schema';

/** A test's answer for a caller who may use but not manage the connection: no login name in it. */
function withoutLogin(result: ConnectionTestResult, user: string): ConnectionTestResult {
  return {
    ...result,
    message: hideLogin(result.message, user),
    steps: result.steps.map((step) => (step.error === undefined ? step : { ...step, error: hideLogin(step.error, user) })),
  };
}

function auditDetails(result: ConnectionTestResult) {
  return { success: result.success, reason: result.details.reason, errorCode: result.details.error_code, latencyMs: result.latencyMs };
}

export async function testHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testInput> }) {
  const facts = await connectionFactsOf(ctx, input.connectionId);
  await authorizeOnConnection(ctx, 'connection.test', facts, { type: 'connection', id: input.connectionId });
  await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
  const database = await ctx.workspaceDatabases.targetOf(ctx.workspace.id, { connectionId: input.connectionId });
  const tested = await ctx.connectionTester.run(database.settings, { deadlineMs: input.timeoutMs });
  // The server answered: an open circuit need not wait out its probe delay.
  if (tested.success) ctx.pools.reportReachable({ workspaceId: ctx.workspace.id, connectionId: input.connectionId });
  const result = canManageConnection(ctx.workspace.actor, facts.grant) ? tested : withoutLogin(tested, database.settings.user);
  const status = await ctx.connections.recordTest(ctx.workspace.id, input.connectionId, tested);
  await ctx.recordAudit({
    workspaceId: ctx.workspace.id,
    action: 'connection.test',
    target: { type: 'connection', id: input.connectionId },
    outcome: result.success ? 'success' : 'failure',
    details: auditDetails(result),
  });
  return { ...result, status: status.status, lastTestedAt: status.lastTestedAt };
}

export async function testDraftHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testDraftInput> }) {
  await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
  const result = await ctx.connectionTester.run(
    { type: input.type, host: input.host, port: input.port, database: input.database, user: input.user, password: input.password ?? null, options: input.options ?? {} },
    { deadlineMs: input.timeoutMs },
  );
  await ctx.recordAudit({
    workspaceId: ctx.workspace.id,
    action: 'connection.testDraft',
    target: { type: 'connection', id: null },
    outcome: result.success ? 'success' : 'failure',
    details: { ...auditDetails(result), type: input.type, host: input.host, port: input.port, database: input.database },
  });
  return result;
}
