// The connections registry (MISSION F2): CRUD here; tests, validation and pool operations in
// their own handler files (cal.com shape).
import { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import { canManageConnection, canUseConnection } from '../../services/policy';
import { router, workspaceProcedure } from '../../trpc';
import { deletedOutput, pageOf, timestamp } from '../_outputs';
import { connectionFactsOf, connectionVerdicts } from '../_permissions';
import { connectionVerdictsOutput } from '../_outputs';
import { pageInput } from '../_schemas';
import {
  assertHostAllowed,
  assertOtherHostsAllowed,
  byId,
  connectionOutput,
  createInput,
  poolStatsOutput,
  resetOutput,
  statusOutput,
  testResultOutput,
  updateInput,
  validateOutput,
} from './_schemas';
import { poolStatsHandler, resetHandler, statusHandler } from './pool.handler';
import { poolStatsInput } from './poolStats.schema';
import { schemaHandler } from './schema.handler';
import { schemaInput, schemaOutput } from './schema.schema';
import { testCancelHandler, testDraftHandler, testDraftStartHandler, testHandler, testRunHandler, testStartHandler } from './test.handler';
import { testDraftInput, testInput, testRunInput, testRunOutput } from './test.schema';
import { updateHandler } from './update.handler';
import { validateHandler } from './validate.handler';

// REST: every procedure below is also a route (meta.openapi, README "REST API"); its `.output()`
// is what REST documents and what both transports are cut down to.
const REST = '/api/v1/workspaces/{workspaceSlug}/connections';
const tags = ['connections'];
const RUNS = '/api/v1/workspaces/{workspaceSlug}/connection-test-runs';

export const connectionsRouter = router({
  list: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'GET', path: REST, tags, summary: 'List connections (never a password)' } })
    .input(z.object(pageInput))
    .output(pageOf(connectionOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      // Per-row grants are not consulted here: in a list, the user name is shown to Owners/Admins only.
      const revealUser = canManageConnection(ctx.workspace.actor, undefined);
      return ctx.connections.list(ctx.workspace.id, { afterName: input.cursor, limit: input.limit }, { revealUser });
    }),

  get: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'GET', path: `${REST}/{connectionId}`, tags, summary: 'Get a connection' } })
    .input(byId)
    .output(connectionOutput)
    .query(async ({ ctx, input }) => {
      const grant = ctx.principal.kind === 'user' ? await ctx.connections.grantOf(input.connectionId, ctx.principal.userId) : undefined;
      return ctx.connections.get(ctx.workspace.id, input.connectionId, { revealUser: canManageConnection(ctx.workspace.actor, grant) });
    }),

  /** What the caller may do with one connection (for the UI; the same checks guard the operations). */
  permissions: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'GET', path: `${REST}/{connectionId}/permissions`, tags, summary: 'What the caller may do with a connection' } })
    .input(byId)
    .output(
      z.object({
        canUse: z.boolean(),
        canManage: z.boolean(),
        can: connectionVerdictsOutput.meta({ description: 'Each action on this connection: allowed, or the sentence saying why not and whom to ask' }),
      }),
    )
    .query(async ({ ctx, input }) => {
      const facts = await connectionFactsOf(ctx, input.connectionId);
      return {
        canUse: canUseConnection(ctx.workspace.actor, facts),
        canManage: canManageConnection(ctx.workspace.actor, facts.grant),
        can: connectionVerdicts(ctx.workspace, facts),
      };
    }),

  /** What refers to the connection (shown before a delete, which sets these references to NULL). */
  references: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'GET', path: `${REST}/{connectionId}/references`, tags, summary: 'Environments and projects that use a connection' } })
    .input(byId)
    .output(z.object({ environments: z.array(z.object({ id: z.uuid(), name: z.string() })), projects: z.array(z.object({ id: z.uuid(), name: z.string() })) }))
    .query(({ ctx, input }) => ctx.connections.referencesOf(ctx.workspace.id, input.connectionId)),

  create: workspaceProcedure
    .meta({ action: 'connection.create', openapi: { method: 'POST', path: REST, tags, summary: 'Create a connection (10/h)' } })
    .input(createInput)
    .output(connectionOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('connectionCreate', rateLimitSubjectOf(ctx.principal));
      await assertHostAllowed(ctx, input.host, 'connection.create', { type: 'connection', id: null });
      await assertOtherHostsAllowed(ctx, input.options, 'connection.create', { type: 'connection', id: null });
      const { workspaceId: _w, workspaceSlug: _s, ...connection } = input;
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      return ctx.atomically(async () => {
        const created = await ctx.connections.create(ctx.workspace.id, connection, createdBy);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'connection.create',
          target: { type: 'connection', id: created.id },
          outcome: 'success',
          details: { name: created.name, type: created.type, host: created.host, port: created.port, database: created.database },
        });
        return created;
      });
    }),

  update: workspaceProcedure
    .meta({
      action: 'connection.update',
      authorize: 'handler',
      openapi: { method: 'PATCH', path: `${REST}/{connectionId}`, tags, summary: 'Update a connection (password: omitted = keep, null = clear)' },
    })
    .input(updateInput)
    .output(connectionOutput)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, workspaceSlug: _s, ...update } = input;
      return updateHandler({ ctx, input: update });
    }),

  delete: workspaceProcedure
    .meta({ action: 'connection.delete', openapi: { method: 'DELETE', path: `${REST}/{connectionId}`, tags, summary: 'Delete a connection' } })
    .input(byId)
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.atomically(async () => {
        const row = await ctx.connections.delete(ctx.workspace.id, input.connectionId);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'connection.delete',
          target: { type: 'connection', id: row.id },
          outcome: 'success',
          details: { name: row.name },
        });
        return row;
      });
      await ctx.poolInvalidation.connectionChanged(ctx.workspace.id, deleted.id);
      return { id: deleted.id, deleted: true as const };
    }),

  /** Test a saved connection: Owner/Admin, or a Member who may use it. 30/h. */
  test: workspaceProcedure
    .meta({ action: 'connection.test', authorize: 'handler', openapi: { method: 'POST', path: `${REST}/{connectionId}/test`, tags, summary: 'Test a saved connection (30/h)' } })
    .input(testInput)
    .output(testResultOutput.extend({ status: statusOutput.shape.status, lastTestedAt: timestamp.nullable() }))
    .mutation(testHandler),

  /** Test unsaved parameters (the create form). 30/h. */
  testDraft: workspaceProcedure
    .meta({ action: 'connection.testDraft', openapi: { method: 'POST', path: `${REST}/test-draft`, tags, summary: 'Test unsaved connection parameters (30/h)' } })
    .input(testDraftInput)
    .output(testResultOutput)
    .mutation(testDraftHandler),

  /**
   * The same tests, watched: start answers a run at once; testRun reads its steps as they finish
   * (long poll); testCancel stops it. A run is the starter's alone and is kept 5 minutes after it ends.
   */
  testStart: workspaceProcedure
    .meta({ action: 'connection.test', authorize: 'handler', openapi: { method: 'POST', path: `${REST}/{connectionId}/test-runs`, tags, summary: 'Start a test of a saved connection, to watch step by step (30/h)' } })
    .input(testInput)
    .output(testRunOutput)
    .mutation(testStartHandler),

  testDraftStart: workspaceProcedure
    .meta({ action: 'connection.testDraft', openapi: { method: 'POST', path: `${REST}/test-draft-runs`, tags, summary: 'Start a test of unsaved parameters, to watch step by step (30/h)' } })
    .input(testDraftInput)
    .output(testRunOutput)
    .mutation(testDraftStartHandler),

  // Only the starter reads or cancels a run (anyone else: not found), so the role check is everyone's.
  testRun: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'GET', path: `${RUNS}/{runId}`, tags, summary: 'A watched connection test: its steps so far (waits up to waitMs for a change)' } })
    .input(testRunInput)
    .output(testRunOutput)
    .query(testRunHandler),

  testCancel: workspaceProcedure
    .meta({ action: 'connection.read', openapi: { method: 'POST', path: `${RUNS}/{runId}/cancel`, tags, summary: 'Cancel a watched connection test' } })
    .input(testRunInput.pick({ runId: true }))
    .output(testRunOutput)
    .mutation(testCancelHandler),

  /** Input validation and outbound policy, without connecting. */
  validate: workspaceProcedure
    .meta({ action: 'connection.validate', openapi: { method: 'POST', path: `${REST}/validate`, tags, summary: 'Validate connection parameters and the outbound policy, without connecting (60/min)' } })
    .input(testDraftInput)
    .output(validateOutput)
    .query(validateHandler),

  /** Last test result and the live pool, 120/min. */
  status: workspaceProcedure
    .meta({ action: 'connection.status', openapi: { method: 'GET', path: `${REST}/{connectionId}/status`, tags, summary: 'Last test result and the live pool (120/min)' } })
    .input(byId)
    .output(statusOutput)
    .query(statusHandler),

  /** Drain and recreate the connection's pool (closes an open circuit). 5/h. */
  reset: workspaceProcedure
    .meta({ action: 'connection.reset', authorize: 'handler', openapi: { method: 'POST', path: `${REST}/{connectionId}/reset`, tags, summary: "Drain and recreate the connection's pool (5/h)" } })
    .input(byId)
    .output(resetOutput)
    .mutation(resetHandler),

  /** Pools of this workspace (optionally one connection's), 60/min. */
  poolStats: workspaceProcedure
    .meta({ action: 'connection.poolStats', openapi: { method: 'GET', path: `${REST}/pool-stats`, tags, summary: "This workspace's pools (60/min)" } })
    .input(poolStatsInput)
    .output(poolStatsOutput)
    .query(poolStatsHandler),

  /** The schema browser: schemas, tables and views, columns, indexes, routines; cached per pool. */
  schema: workspaceProcedure
    .meta({
      action: 'connection.schema',
      authorize: 'handler',
      openapi: { method: 'GET', path: `${REST}/{connectionId}/schema`, tags, summary: "A connection's schema: tables, views, columns, indexes, procedures (cached; refresh=true reads again)" },
    })
    .input(schemaInput)
    .output(schemaOutput)
    .query(schemaHandler),
});
