// connections.test (a saved connection) and connections.testDraft (unsaved parameters). Both answer
// the test result, failed or not: a failing test is an answer, not an error. Audited without secrets.
import type { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import type { ConnectionTestOptions, ConnectionTestResult, TestStep } from '../../services/connection-test';
import type { TestRunOwner } from '../../services/connection-test-runs';
import { canManageConnection } from '../../services/policy';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import { hideLogin } from '../../services/server-messages';
import type { WorkspaceHandlerContext } from './_schemas';
import type { testDraftInput, testInput, testRunInput } from './test.schema';

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

/** A saved connection's test, authorised and rate-limited: run it, then `finish` records it. */
async function prepareSavedTest(ctx: WorkspaceHandlerContext, input: { connectionId: string; timeoutMs?: number | undefined }) {
  const facts = await connectionFactsOf(ctx, input.connectionId);
  await authorizeOnConnection(ctx, 'connection.test', facts, { type: 'connection', id: input.connectionId });
  await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
  const database = await ctx.workspaceDatabases.targetOf(ctx.workspace.id, { connectionId: input.connectionId });
  const manages = canManageConnection(ctx.workspace.actor, facts.grant);
  const user = database.settings.user;
  return {
    run: (hooks: Pick<ConnectionTestOptions, 'signal' | 'onStep'> = {}) => ctx.connectionTester.run(database.settings, { deadlineMs: input.timeoutMs, ...hooks }),
    present: (tested: ConnectionTestResult) => (manages ? tested : withoutLogin(tested, user)),
    presentStep: (step: TestStep) => (manages || step.error === undefined ? step : { ...step, error: hideLogin(step.error, user) }),
    async finish(tested: ConnectionTestResult) {
      // The server answered: an open circuit need not wait out its probe delay.
      if (tested.success) ctx.pools.reportReachable({ workspaceId: ctx.workspace.id, connectionId: input.connectionId });
      const status = await ctx.connections.recordTest(ctx.workspace.id, input.connectionId, tested);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.test',
        target: { type: 'connection', id: input.connectionId },
        outcome: tested.success ? 'success' : 'failure',
        details: auditDetails(manages ? tested : withoutLogin(tested, user)),
      });
      return status;
    },
  };
}

/** Unsaved parameters' test (the role check ran before the handler), rate-limited. */
async function prepareDraftTest(ctx: WorkspaceHandlerContext, input: z.output<typeof testDraftInput>) {
  await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
  const target = { type: input.type, host: input.host, port: input.port, database: input.database, user: input.user, password: input.password ?? null, options: input.options ?? {} };
  return {
    run: (hooks: Pick<ConnectionTestOptions, 'signal' | 'onStep'> = {}) => ctx.connectionTester.run(target, { deadlineMs: input.timeoutMs, ...hooks }),
    async finish(result: ConnectionTestResult) {
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.testDraft',
        target: { type: 'connection', id: null },
        outcome: result.success ? 'success' : 'failure',
        details: { ...auditDetails(result), type: input.type, host: input.host, port: input.port, database: input.database },
      });
    },
  };
}

export async function testHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testInput> }) {
  const test = await prepareSavedTest(ctx, input);
  const tested = await test.run();
  const status = await test.finish(tested);
  return { ...test.present(tested), status: status.status, lastTestedAt: status.lastTestedAt };
}

export async function testDraftHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testDraftInput> }) {
  const test = await prepareDraftTest(ctx, input);
  const result = await test.run();
  await test.finish(result);
  return result;
}

/** Who a watched test belongs to: this principal in this workspace. */
export function testRunOwnerOf(ctx: WorkspaceHandlerContext): TestRunOwner {
  return { workspaceId: ctx.workspace.id, principal: ctx.principal.kind === 'user' ? `user:${ctx.principal.userId}` : `token:${ctx.principal.tokenId}` };
}

/**
 * The run's end: recorded (status, audit) before readers see it, so a page reloaded after the end
 * shows the new status. A failure to record is logged; the reader still gets the result.
 */
async function recorded(ctx: WorkspaceHandlerContext, tested: ConnectionTestResult, finish: (tested: ConnectionTestResult) => Promise<unknown>): Promise<ConnectionTestResult> {
  try {
    await finish(tested);
  } catch (error) {
    ctx.logger.error({ err: error, workspaceId: ctx.workspace.id }, 'recording a watched connection test failed');
  }
  return tested;
}

/** connections.testStart: the saved connection's test as a run to watch (connections.testRun). */
/** The reader going away (`signal`: the HTTP request or the web page's) ends its wait. */
export function testRunHandler({ ctx, input, signal }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testRunInput>; signal?: AbortSignal | undefined }) {
  return ctx.connectionTestRuns.waitFor(testRunOwnerOf(ctx), input.runId, input.afterVersion ?? -1, input.waitMs ?? 0, signal);
}

export function testCancelHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: { runId: string } }) {
  return ctx.connectionTestRuns.cancel(testRunOwnerOf(ctx), input.runId);
}

export async function testStartHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testInput> }) {
  const test = await prepareSavedTest(ctx, input);
  return ctx.connectionTestRuns.start(testRunOwnerOf(ctx), async ({ signal, onStep }) => {
    const tested = await test.run({ signal, onStep: (step) => onStep(test.presentStep(step)) });
    // A cancelled test says nothing about the server: its status stays as it was.
    return test.present(signal.aborted ? tested : await recorded(ctx, tested, (done) => test.finish(done)));
  });
}

/** connections.testDraftStart: unsaved parameters' test as a run to watch. */
export async function testDraftStartHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testDraftInput> }) {
  const test = await prepareDraftTest(ctx, input);
  return ctx.connectionTestRuns.start(testRunOwnerOf(ctx), async ({ signal, onStep }) => {
    const result = await test.run({ signal, onStep });
    return signal.aborted ? result : recorded(ctx, result, (done) => test.finish(done));
  });
}
