// The query console (docs/decisions/011): run ad-hoc SQL on a connection in the mode its console
// access allows, cancel it, the caller's history per connection, saved queries shared in the
// workspace, and the console access setting. Running and cancelling in run.handler.ts.
import { z } from 'zod';
import { pageOf, timestamp } from '../_outputs';
import { connectionFactsOf, connectionVerdicts } from '../_permissions';
import { pageInput } from '../_schemas';
import { ConsoleDownload, DEFAULT_CONSOLE_TIMEOUT_MS, modeRefusal, type ConsoleMode } from '../../services/console';
import { verdictOf } from '../../services/denials';
import { workspaceProcedure, router } from '../../trpc';
import { connectionRef, consoleAccessInput, MAX_SQL_LENGTH, type ConsoleContext } from './_schemas';
import { cancelHandler, exportHandler, runHandler } from './run.handler';
import { cancelInput, exportInput, runInput, runOutput } from './run.schema';

const CONNECTION = '/api/v1/workspaces/{workspaceSlug}/connections/{connectionId}';
const SAVED = '/api/v1/workspaces/{workspaceSlug}/saved-queries';
const tags = ['console'];

const historyItem = z.object({
  id: z.uuid(),
  connectionId: z.uuid(),
  sql: z.string(),
  outcome: z.enum(['success', 'error', 'cancelled', 'timeout']),
  durationMs: z.number().int(),
  rowCount: z.number().int(),
  errorCode: z.string().nullable(),
  ranAt: timestamp,
});

const savedQuery = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  connectionId: z.uuid().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  sql: z.string(),
  createdBy: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const savedQueryRef = z.object({ savedQueryId: z.uuid() });
const savedName = z.string().trim().min(1).max(200);
const savedText = z.string().min(1).max(MAX_SQL_LENGTH);

/** A saved query is changed or deleted by whoever made it, or by an Owner/Admin. */
async function authorizeSavedChange(ctx: ConsoleContext, id: string, action: 'console.saveQuery' | 'console.deleteQuery') {
  const saved = await ctx.console.savedQuery(ctx.workspace.id, id);
  const mine = ctx.principal.kind === 'user' && saved.createdBy === ctx.principal.userId;
  const manager = ctx.workspace.role === 'Owner' || ctx.workspace.role === 'Admin';
  await ctx.authorizer.requireThat(mine || manager, {
    workspaceId: ctx.workspace.id,
    action,
    target: { type: 'saved_query', id },
    reason: 'not_query_owner',
  });
  return saved;
}

export const consoleRouter = router({
  /** What the console page needs about a connection: its type, console access and time limit. */
  connection: workspaceProcedure
    .meta({ action: 'console.read' })
    .input(connectionRef)
    .query(async ({ ctx, input }) => {
      const info = await ctx.console.accessOf(ctx.workspace.id, input.connectionId);
      const target = await ctx.console.targetOf(ctx.workspace.id, input.connectionId).catch(() => null);
      const maxTimeoutMs = target?.maxTimeoutMs ?? null;
      const facts = ctx.workspace.actor.role === 'Member' ? await connectionFactsOf(ctx, input.connectionId) : null;
      const run = connectionVerdicts(ctx.workspace, facts)['console.run'];
      const inMode = (mode: ConsoleMode) => {
        const refusal = modeRefusal(info.access, mode);
        return !run.allowed || refusal === null ? run : verdictOf('console.run', { allowed: false, reason: refusal }, { connectionName: info.name });
      };
      return {
        connectionId: input.connectionId,
        ...info,
        maxTimeoutMs,
        defaultTimeoutMs: Math.min(DEFAULT_CONSOLE_TIMEOUT_MS, maxTimeoutMs ?? DEFAULT_CONSOLE_TIMEOUT_MS),
        /** Running in each mode: allowed, or why not and whom to ask. */
        can: { 'read-only': inMode('read-only'), 'read-write': inMode('read-write') },
      };
    }),

  /** Runs one or several statements; see README "Query console" for modes, limits and parameters. */
  run: workspaceProcedure
    .meta({ action: 'console.run', authorize: 'handler', openapi: { method: 'POST', path: `${CONNECTION}/query`, tags, summary: 'Run a query on a connection (console)' } })
    .input(runInput)
    .output(runOutput)
    .mutation(runHandler),

  /**
   * The first result set as a CSV or JSON file, streamed in bounded memory: every row (not the UI's
   * row limit) up to EXPORT_MAX_ROWS. Over REST the body is the file itself.
   */
  export: workspaceProcedure
    .meta({
      action: 'console.run',
      authorize: 'handler',
      download: { contentTypes: ['text/csv', 'application/json'] },
      openapi: { method: 'POST', path: `${CONNECTION}/export`, tags, summary: 'Export a query result as CSV or JSON (streamed)' },
    })
    .input(exportInput)
    .output(
      z
        .custom<ConsoleDownload>((value) => value instanceof ConsoleDownload)
        .meta({ override: { type: 'string', format: 'binary' }, description: 'The file: CSV with a header line, or a JSON array of objects' }),
    )
    .mutation(exportHandler),

  /** Stops a running query on the server; only its starter may. */
  cancel: workspaceProcedure
    .meta({ action: 'console.cancel', openapi: { method: 'POST', path: '/api/v1/workspaces/{workspaceSlug}/query-runs/{runId}/cancel', tags, summary: 'Cancel a running console query' } })
    .input(cancelInput)
    .output(z.object({ runId: z.uuid(), cancelRequested: z.literal(true) }))
    .mutation(cancelHandler),

  /** Owners/Admins set what the console may do on a connection: off, read-only (default), read-write. */
  setAccess: workspaceProcedure
    .meta({ action: 'console.setAccess', openapi: { method: 'PUT', path: `${CONNECTION}/console-access`, tags, summary: 'Set the console access of a connection' } })
    .input(connectionRef.extend({ access: consoleAccessInput }))
    .output(z.object({ connectionId: z.uuid(), access: consoleAccessInput, previous: consoleAccessInput }))
    .mutation(async ({ ctx, input }) => {
      return ctx.atomically(async () => {
        const changed = await ctx.console.setAccess(ctx.workspace.id, input.connectionId, input.access);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'console.setAccess',
          target: { type: 'connection', id: input.connectionId },
          outcome: 'success',
          details: { from: changed.previous, to: changed.access },
        });
        // Commits with the change: no instance serves the old access from its target cache after it.
        await ctx.workspaceDatabases.targetsChanged(ctx.workspace.id);
        return changed;
      });
    }),

  /** The caller's own runs on a connection, newest first (kept 90 days); `search` matches the text. */
  history: workspaceProcedure
    .meta({ action: 'console.read', openapi: { method: 'GET', path: `${CONNECTION}/query-history`, tags, summary: 'Your console history on a connection' } })
    .input(connectionRef.extend({ ...pageInput, search: z.string().trim().max(200).optional() }))
    .output(pageOf(historyItem))
    .query(async ({ ctx, input }) => {
      if (ctx.principal.kind !== 'user') return { items: [], nextCursor: null };
      return ctx.console.history(ctx.workspace.id, input.connectionId, ctx.principal.userId, { search: input.search || undefined, cursor: input.cursor, limit: input.limit });
    }),

  /** One entry of the caller's history (to re-run it). */
  historyEntry: workspaceProcedure
    .meta({ action: 'console.read' })
    .input(z.object({ historyId: z.uuid() }))
    .query(({ ctx, input }) => {
      const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : '00000000-0000-0000-0000-000000000000';
      return ctx.console.historyEntry(ctx.workspace.id, userId, input.historyId);
    }),

  savedQueries: workspaceProcedure
    .meta({ action: 'console.read', openapi: { method: 'GET', path: SAVED, tags, summary: 'Saved queries of the workspace' } })
    .input(z.object({ ...pageInput, connectionId: z.uuid().optional(), search: z.string().trim().max(200).optional() }))
    .output(pageOf(savedQuery))
    .query(({ ctx, input }) => ctx.console.savedQueries(ctx.workspace.id, { connectionId: input.connectionId, search: input.search || undefined, cursor: input.cursor, limit: input.limit })),

  saveQuery: workspaceProcedure
    .meta({ action: 'console.saveQuery', openapi: { method: 'POST', path: SAVED, tags, summary: 'Save a query for the workspace' } })
    .input(z.object({ name: savedName, sql: savedText, description: z.string().max(2000).nullish(), connectionId: z.uuid().nullish() }))
    .output(savedQuery)
    .mutation(async ({ ctx, input }) => {
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      return ctx.atomically(async () => {
        const saved = await ctx.console.saveQuery(ctx.workspace.id, input, createdBy);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'console.saveQuery', target: { type: 'saved_query', id: saved.id }, outcome: 'success', details: { name: saved.name } });
        return saved;
      });
    }),

  updateQuery: workspaceProcedure
    .meta({ action: 'console.saveQuery', openapi: { method: 'PATCH', path: `${SAVED}/{savedQueryId}`, tags, summary: 'Change a saved query' } })
    .input(savedQueryRef.extend({ name: savedName.optional(), sql: savedText.optional(), description: z.string().max(2000).nullish(), connectionId: z.uuid().nullish() }))
    .output(savedQuery)
    .mutation(async ({ ctx, input }) => {
      await authorizeSavedChange(ctx, input.savedQueryId, 'console.saveQuery');
      const { savedQueryId, ...changes } = input;
      return ctx.atomically(async () => {
        const saved = await ctx.console.updateSavedQuery(ctx.workspace.id, savedQueryId, changes);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'console.updateQuery', target: { type: 'saved_query', id: saved.id }, outcome: 'success', details: { name: saved.name } });
        return saved;
      });
    }),

  deleteQuery: workspaceProcedure
    .meta({ action: 'console.deleteQuery', openapi: { method: 'DELETE', path: `${SAVED}/{savedQueryId}`, tags, summary: 'Delete a saved query' } })
    .input(savedQueryRef)
    .output(z.object({ id: z.uuid(), deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await authorizeSavedChange(ctx, input.savedQueryId, 'console.deleteQuery');
      const deleted = await ctx.atomically(async () => {
        const deleted = await ctx.console.deleteSavedQuery(ctx.workspace.id, input.savedQueryId);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'console.deleteQuery', target: { type: 'saved_query', id: deleted.id }, outcome: 'success', details: { name: deleted.name } });
        return deleted;
      });
      return { id: deleted.id, deleted: true as const };
    }),
});
