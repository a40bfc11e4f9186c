// The SQL editor (MISSION F7, seed 003): procedure records with a draft and a published text;
// publish deploys to the workspace's SQL Server, execute runs the published procedure there.
// Records here; publish and execute in their own handler files (cal.com shape).
import { z } from 'zod';
import { pageOf, timestamp, verdictOutput } from '../_outputs';
import { ServiceError } from '../../services/errors';
import { router } from '../../trpc';
import { instantInput, pageInput } from '../_schemas';
import { authorizeDraft, authorizeOnTarget, byId, editorVerdicts, MAX_DRAFT_LENGTH, procedureNameInput, sqlEditorProcedure } from './_schemas';
import { deploymentsHandler } from './deployments.handler';
import { cancelHandler, executeHandler, parametersHandler } from './execute.handler';
import { cancelInput, executeInput } from './execute.schema';
import { publishHandler } from './publish.handler';
import { publishInput } from './publish.schema';

const draftText = z.string().max(MAX_DRAFT_LENGTH);

const REST = '/api/v1/workspaces/{workspaceSlug}/procedures';
const tags = ['procedures'];

const procedureSummary = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  /** `schema.name`, as stored. */
  name: z.string(),
  schema: z.string(),
  procedureName: z.string(),
  qualifiedName: z.string(),
  status: z.enum(['draft', 'published']),
  hasUnpublishedChanges: z.boolean(),
  publishedAt: timestamp.nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp.meta({ description: 'The draft version: send it back as expectedUpdatedAt when saving' }),
});
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const procedureDetail = procedureSummary.extend({
  sqlDraft: z.string(),
  sqlPublished: z.string().nullable(),
  sqlDraftHash: sha256.meta({ description: 'SHA-256 (hex) of sqlDraft, to compare with a deployment' }),
});

const environmentDeployments = z.object({
  procedureId: z.uuid(),
  sqlDraftHash: sha256,
  environments: z.array(
    z.object({
      environmentId: z.uuid(),
      environmentName: z.string(),
      isDefault: z.boolean(),
      /** False when the environment has no connection: nothing can be published or run there. */
      configured: z.boolean(),
      deployment: z
        .object({
          sqlHash: sha256,
          deployedAt: timestamp,
          deployedBy: z.object({ id: z.uuid(), username: z.string() }).nullable().meta({ description: 'Null when an API token published, or the user was deleted' }),
          matchesDraft: z.boolean(),
        })
        .nullable()
        .meta({ description: 'The last successful publish to this environment; null when never published there' }),
      canRun: z.boolean(),
      canPublish: z.boolean(),
      can: z.object({ publish: verdictOutput, execute: verdictOutput }).meta({ description: 'Publishing and running on this environment: allowed, or why not and whom to ask' }),
    }),
  ),
});
const editorVerdictsOutput = z.object({ draft: verdictOutput, publish: verdictOutput, execute: verdictOutput, delete: verdictOutput });

export const sqlEditorRouter = router({
  /** Procedures of the workspace, most recently edited first; `search` matches the name. */
  list: sqlEditorProcedure
    .meta({ action: 'procedure.read', openapi: { method: 'GET', path: REST, tags, summary: 'List SQL editor procedures, most recently edited first' } })
    .input(z.object({ ...pageInput, search: z.string().trim().max(128).optional() }))
    .output(pageOf(procedureSummary))
    .query(({ ctx, input }) => ctx.sqlEditor.list(ctx.workspace.id, { search: input.search || undefined, cursor: input.cursor, limit: input.limit })),

  get: sqlEditorProcedure
    .meta({ action: 'procedure.read', openapi: { method: 'GET', path: `${REST}/{procedureId}`, tags, summary: 'A procedure with its draft and published text' } })
    .input(byId)
    .output(procedureDetail.extend({ can: editorVerdictsOutput.meta({ description: 'Drafting, publishing, running and deleting on the default environment: allowed, or why not and whom to ask' }) }))
    .query(async ({ ctx, input }) => {
      const [procedure, can] = await Promise.all([ctx.sqlEditor.get(ctx.workspace.id, input.procedureId), editorVerdicts(ctx)]);
      return { ...procedure, can };
    }),

  /** What the caller may do with procedures on the default environment (the editor's buttons). */
  permissions: sqlEditorProcedure
    .meta({ action: 'procedure.read' })
    .output(editorVerdictsOutput)
    .query(({ ctx }) => editorVerdicts(ctx)),

  create: sqlEditorProcedure
    .meta({ action: 'procedure.draft', authorize: 'handler' })
    .input(z.object({ name: procedureNameInput, schema: procedureNameInput.optional(), sqlDraft: draftText.optional() }))
    .mutation(async ({ ctx, input }) => {
      await authorizeDraft(ctx, null);
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      return ctx.atomically(async () => {
        const created = await ctx.sqlEditor.create(ctx.workspace.id, { name: input.name, schema: input.schema, sqlDraft: input.sqlDraft }, createdBy);
        await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'procedure.create', target: { type: 'procedure', id: created.id }, outcome: 'success', details: { name: created.qualifiedName } });
        return created;
      });
    }),

  /**
   * Saves the draft only if the record is still at `expectedUpdatedAt` (the version the client
   * loaded); otherwise CONFLICT with the current version, and nothing is overwritten. Autosaves
   * are not audited (publish is). `overwrite: true` is the person's explicit "keep mine" after a
   * conflict: `expectedUpdatedAt` is then the other version they saw and chose to replace (still
   * checked, so a third save in between is not lost unseen), and the overwrite is audited.
   */
  saveDraft: sqlEditorProcedure
    .meta({ action: 'procedure.draft', authorize: 'handler' })
    .input(byId.extend({ sqlDraft: draftText, expectedUpdatedAt: instantInput, overwrite: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await authorizeDraft(ctx, input.procedureId);
      // Autosaves (not audited) need no transaction; an overwrite commits with its audit row.
      if (!input.overwrite) return ctx.sqlEditor.saveDraft(ctx.workspace.id, input.procedureId, input.sqlDraft, input.expectedUpdatedAt);
      return ctx.atomically(async () => {
        const saved = await ctx.sqlEditor.saveDraft(ctx.workspace.id, input.procedureId, input.sqlDraft, input.expectedUpdatedAt);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'procedure.overwrite',
          target: { type: 'procedure', id: saved.id },
          outcome: 'success',
          details: { name: saved.qualifiedName, replacedVersion: input.expectedUpdatedAt.toISOString() },
        });
        return saved;
      });
    }),

  /** Renames an unpublished procedure (and the name in its draft's CREATE header). */
  rename: sqlEditorProcedure
    .meta({ action: 'procedure.draft', authorize: 'handler' })
    .input(byId.extend({ name: procedureNameInput, schema: procedureNameInput.optional(), expectedUpdatedAt: instantInput }))
    .mutation(async ({ ctx, input }) => {
      await authorizeDraft(ctx, input.procedureId);
      const before = await ctx.sqlEditor.get(ctx.workspace.id, input.procedureId);
      return ctx.atomically(async () => {
        const renamed = await ctx.sqlEditor.rename(ctx.workspace.id, input.procedureId, { name: input.name, schema: input.schema, expectedUpdatedAt: input.expectedUpdatedAt });
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'procedure.rename',
          target: { type: 'procedure', id: renamed.id },
          outcome: 'success',
          details: { from: before.qualifiedName, to: renamed.qualifiedName },
        });
        return renamed;
      });
    }),

  /**
   * Deletes the record. `dropFromServer: true` (explicit only) first runs
   * `DROP PROCEDURE IF EXISTS [schema].[name]` on the target environment; if that fails the record stays.
   */
  delete: sqlEditorProcedure
    .meta({ action: 'procedure.delete', authorize: 'handler' })
    .input(byId.extend({ dropFromServer: z.boolean().default(false), environmentId: z.uuid().optional() }))
    .mutation(async ({ ctx, input }) => {
      const editor = ctx.sqlEditor;
      const record = await editor.get(ctx.workspace.id, input.procedureId);
      const needsTarget = input.dropFromServer || ctx.workspace.actor.role === 'Member';
      const target = needsTarget
        ? await editor.targetOf(ctx.workspace.id, input.environmentId).catch((error: unknown) => {
            if (!input.dropFromServer && error instanceof ServiceError && error.code === 'precondition_failed') return null;
            throw error;
          })
        : null;
      await authorizeOnTarget(ctx, 'procedure.delete', target, record.id);
      const dropped = input.dropFromServer && record.status === 'published' && target !== null;
      if (dropped) await editor.dropFromServer(target, { schema: record.schema, name: record.procedureName });
      // The DROP on the workspace server (above) cannot join a system-database transaction; the
      // record's delete and its audit row commit together.
      await ctx.atomically(async () => {
        await editor.delete(ctx.workspace.id, record.id);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'procedure.delete',
          target: { type: 'procedure', id: record.id },
          outcome: 'success',
          details: { name: record.qualifiedName, droppedFromServer: dropped, environmentId: dropped ? target.environmentId : null },
        });
      });
      return { id: record.id, deleted: true as const, droppedFromServer: dropped };
    }),

  /** Published (old) → draft (new) as unified-diff hunks. */
  diff: sqlEditorProcedure
    .meta({ action: 'procedure.read' })
    .input(byId)
    .query(({ ctx, input }) => ctx.sqlEditor.diff(ctx.workspace.id, input.procedureId)),

  publish: sqlEditorProcedure.meta({ action: 'procedure.publish', authorize: 'handler' }).input(publishInput).mutation(publishHandler),

  /** What each environment runs of the procedure, and where the caller may run and publish it. */
  deployments: sqlEditorProcedure
    .meta({ action: 'procedure.read', openapi: { method: 'GET', path: `${REST}/{procedureId}/deployments`, tags, summary: 'What each environment runs of a procedure: hash, who, when' } })
    .input(byId)
    .output(environmentDeployments)
    .query(deploymentsHandler),

  /** Parameters of the published procedure from the server's catalogue (the run form). */
  parameters: sqlEditorProcedure
    .meta({ action: 'procedure.execute', authorize: 'handler' })
    .input(byId.extend({ environmentId: z.uuid().optional() }))
    .query(parametersHandler),

  execute: sqlEditorProcedure.meta({ action: 'procedure.execute', authorize: 'handler' }).input(executeInput).mutation(executeHandler),

  /** Cancels a running execution (TDS attention); only its starter may. */
  cancel: sqlEditorProcedure.meta({ action: 'procedure.cancel' }).input(cancelInput).mutation(cancelHandler),
});
