import { auditOutcome } from '@studio/db/schema';
import { z } from 'zod';
import { pageOf, timestamp } from './_outputs';
import { rateLimitSubjectOf } from '../services/authorization';
import { router, systemAdminProcedure, workspaceProcedure } from '../trpc';
import { dateInput, pageInput } from './_schemas';

const auditEntryOutput = z.object({
  id: z.uuid(),
  at: timestamp,
  actorUserId: z.uuid().nullable(),
  actorTokenId: z.uuid().nullable(),
  actorUsername: z.string().nullable(),
  workspaceId: z.uuid().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  outcome: z.enum(auditOutcome.enumValues),
  /** Redacted when written: never a secret. */
  details: z.record(z.string(), z.unknown()),
  /** What the target is called now (a connection's name, a member's username); null once it is gone. */
  targetName: z.string().nullable(),
});

const filterInput = {
  actorUserId: z.uuid().optional(),
  /** An action, or a prefix of whole parts: `procedure` finds every `procedure.*`. */
  action: z.string().min(1).max(100).optional(),
  targetType: z.string().min(1).max(50).optional(),
  targetId: z.string().min(1).max(200).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: dateInput.optional(),
  to: dateInput.optional(),
  ...pageInput,
  cursor: z.uuid().optional(),
};

/** The most entries one export answers; the `x-export-truncated` header says when there were more. */
export const AUDIT_EXPORT_MAX_ROWS = 10_000;

/** An inverted range finds nothing: it is a mistake, answered as one naming `to`. */
function inOrder(f: { from?: Date | undefined; to?: Date | undefined }): boolean {
  return f.from === undefined || f.to === undefined || f.from <= f.to;
}
const INVERTED = { path: ['to'], message: 'must not be before from (the range is inverted)' };

function filterSchema() {
  return z.object(filterInput).refine(inOrder, INVERTED);
}

function exportSchema() {
  const { cursor: _c, limit: _l, ...filters } = filterInput;
  return z.object(filters).refine(inOrder, INVERTED);
}

export const auditRouter = router({
  /** System events (every sign-in attempt, people administration), newest first: system Admins only. */
  listSystem: systemAdminProcedure
    .meta({ openapi: { method: 'GET', path: '/api/v1/audit', tags: ['audit'], summary: 'System audit log: sign-ins and people administration (system Admins only)' } })
    .input(filterSchema())
    .output(pageOf(auditEntryOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      const { cursor, ...filter } = input;
      return ctx.audit.list({ ...filter, workspaceId: null, afterId: cursor });
    }),

  /**
   * The filtered view whole (up to AUDIT_EXPORT_MAX_ROWS, newest first) for a CSV download: one call,
   * one `list` point, however many pages it spans.
   */
  export: workspaceProcedure
    .meta({
      action: 'audit.read',
      openapi: { method: 'GET', path: '/api/v1/workspaces/{workspaceSlug}/audit/export', tags: ['audit'], summary: 'The filtered audit log in one answer, newest first (at most 10000 entries)' },
    })
    .input(exportSchema())
    .output(z.object({ items: z.array(auditEntryOutput), truncated: z.boolean() }))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      const { workspaceId: _w, workspaceSlug: _s, ...filter } = input;
      const page = await ctx.audit.list({ ...filter, workspaceId: ctx.workspace.id, limit: AUDIT_EXPORT_MAX_ROWS });
      return { items: page.items, truncated: page.nextCursor !== null };
    }),

  /** Newest first. `cursor` is the id of the last entry of the previous page. */
  list: workspaceProcedure
    .meta({
      action: 'audit.read',
      openapi: { method: 'GET', path: '/api/v1/workspaces/{workspaceSlug}/audit', tags: ['audit'], summary: 'Audit log, newest first (filters: actor, action, target, outcome, from/to)' },
    })
    .input(filterSchema())
    .output(pageOf(auditEntryOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      const { workspaceId: _w, workspaceSlug: _s, cursor, ...filter } = input;
      return ctx.audit.list({ ...filter, workspaceId: ctx.workspace.id, afterId: cursor });
    }),
});
