// CSV imports into a project's connection (seed 004). `start` is an upload route: over REST the
// request body is the file (text/csv, or multipart/form-data with the fields before the file),
// streamed into the run; it answers as soon as the file's header was checked against the table.
import { z } from 'zod';
import { ConsoleDownload } from '../services/console';
import { rateLimitSubjectOf } from '../services/authorization';
import { ImportRefusal, InvalidInputError, NotFoundError, ServiceError } from '../services/errors';
import { MAX_REJECTS_CAP } from '../services/imports/service';
import { router, workspaceProcedure } from '../trpc';
import { authorizeOnConnection, connectionFactsOf } from './_permissions';
import { pageOf, timestamp } from './_outputs';
import { pageInput } from './_schemas';
import type { WorkspaceHandlerContext } from './connections/_schemas';

const PROJECT = '/api/v1/workspaces/{workspaceSlug}/projects/{projectId}/imports';
const tags = ['imports'];

const problemOutput = z.object({ error: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) });

export const importRunOutput = z.object({
  id: z.uuid(),
  projectId: z.uuid().nullable().meta({ description: 'null once the project was deleted (projectName keeps its name)' }),
  projectName: z.string(),
  connectionId: z.uuid().nullable(),
  table: z.string().meta({ description: 'schema.table as the catalogue spells it' }),
  fileName: z.string(),
  fileBytes: z.number().nullable().meta({ description: "The file's size, once it was read to the end" }),
  sha256: z.string().nullable(),
  mode: z.enum(['insert', 'upsert', 'replace']),
  errorPolicy: z.enum(['all-or-nothing', 'skip']),
  maxRejects: z.number().int(),
  startedBy: z.string(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled', 'interrupted']),
  bytesRead: z.number(),
  rowsRead: z.number(),
  rowsWritten: z.number().meta({ description: 'Rows sent so far while running; rows committed once it succeeded (0 otherwise)' }),
  rowsRejected: z.number(),
  elapsedMs: z.number(),
  rowsPerSecond: z.number(),
  error: problemOutput.nullable(),
});

const byImport = z.object({ projectId: z.uuid(), importId: z.uuid() });

export const startImportInput = z.object({
  projectId: z.uuid(),
  /** `schema.table` or `table`; default: the project mapping whose file_pattern matches the file name. */
  table: z.string().trim().min(1).max(257).optional(),
  mode: z.enum(['insert', 'upsert', 'replace']).default('insert'),
  errorPolicy: z.enum(['all-or-nothing', 'skip']).default('all-or-nothing'),
  /** skip: the run fails past this many rejected rows; all-or-nothing: at most this many are listed. */
  maxRejects: z.number().int().min(0).max(MAX_REJECTS_CAP).default(1_000),
  /** Overrides the upload's own file name (multipart filename, or `import.csv` for a raw body). */
  fileName: z.string().trim().min(1).max(255).optional(),
});

/** Refuses reading rejected rows or cancelling someone else's run, unless an Owner/Admin. */
async function requireStarterOrManager(ctx: WorkspaceHandlerContext, action: 'import.read' | 'import.cancel', startedByUserId: string | null, importId: string) {
  const isStarter = ctx.principal.kind === 'user' && ctx.principal.userId === startedByUserId;
  const isManager = ctx.workspace.role === 'Owner' || ctx.workspace.role === 'Admin';
  await ctx.authorizer.requireThat(isStarter || isManager, { workspaceId: ctx.workspace.id, action, target: { type: 'import', id: importId }, reason: 'not_run_owner' });
}

async function runOf(ctx: WorkspaceHandlerContext, input: { projectId: string; importId: string }) {
  const run = await ctx.imports.get(ctx.workspace.id, input.importId);
  if (run.projectId !== input.projectId) throw new ImportRefusal('import_not_found', 'Import was not found', { field: 'importId' });
  return run;
}

function publicView<T extends { startedByUserId: string | null }>(run: T): Omit<T, 'startedByUserId'> {
  const { startedByUserId: _u, ...view } = run;
  return view;
}

export const importsRouter = router({
  start: workspaceProcedure
    .meta({
      action: 'import.run',
      authorize: 'handler',
      upload: { contentTypes: ['text/csv', 'multipart/form-data', 'application/octet-stream'] },
      openapi: {
        method: 'POST',
        path: PROJECT,
        tags,
        summary: 'Import a CSV file (the request body; 20/h): answers once its header fits the table, then loads it',
        description: 'Send the file as the raw body (Content-Type: text/csv) with the other fields in the query string, or as multipart/form-data with the fields before the file part.',
      },
    })
    .input(startImportInput)
    .output(importRunOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('importStart', rateLimitSubjectOf(ctx.principal));
      try {
        const project = await ctx.projects.get(ctx.workspace.id, input.projectId);
        if (project.connectionId === null) {
          throw new ImportRefusal('project_connection_missing', `Project ${project.name} has no connection; choose one for it before importing`, { field: 'projectId' });
        }
        const facts = await connectionFactsOf(ctx, project.connectionId).catch((error: unknown) => {
          if (error instanceof NotFoundError) throw new ImportRefusal('connection_not_found', `The connection of project ${project.name} does not exist`, { field: 'projectId' });
          throw error;
        });
        await authorizeOnConnection(ctx, 'import.run', facts, { type: 'project', id: project.id });
        const upload = ctx.upload;
        if (!upload) throw new InvalidInputError('file', 'Send the file as the request body of POST …/projects/{projectId}/imports (text/csv or multipart/form-data)');
        const run = await ctx.imports.start({
          workspaceId: ctx.workspace.id,
          project: { ...project, connectionId: project.connectionId },
          table: input.table,
          mode: input.mode,
          errorPolicy: input.errorPolicy,
          maxRejects: input.maxRejects,
          upload: { ...upload, fileName: input.fileName ?? upload.fileName },
          startedBy: ctx.principal.kind === 'user' ? { userId: ctx.principal.userId, name: ctx.principal.username } : { userId: null, name: `token:${ctx.principal.prefix}` },
          actor: ctx.principal.kind === 'user' ? { userId: ctx.principal.userId, username: ctx.principal.username } : { tokenId: ctx.principal.tokenId, username: `token:${ctx.principal.prefix}` },
          requestMeta: ctx.requestMeta,
        });
        return run;
      } catch (error) {
        // A refused import leaves no run; the refusal is still on record.
        if (error instanceof ServiceError && error.code !== 'forbidden' && error.code !== 'rate_limited') {
          await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'import.start', target: { type: 'project', id: input.projectId }, outcome: 'failure', details: { error: error.code, table: input.table ?? null } });
        }
        throw error;
      }
    }),

  list: workspaceProcedure
    .meta({ action: 'import.read', openapi: { method: 'GET', path: PROJECT, tags, summary: "A project's imports, newest first" } })
    .input(z.object({ projectId: z.uuid(), ...pageInput }))
    .output(pageOf(importRunOutput))
    .query(async ({ ctx, input }) => {
      await ctx.projects.connectionOf(ctx.workspace.id, input.projectId);
      return ctx.imports.list(ctx.workspace.id, { projectId: input.projectId }, { cursor: input.cursor, limit: input.limit });
    }),

  get: workspaceProcedure
    .meta({ action: 'import.read', openapi: { method: 'GET', path: `${PROJECT}/{importId}`, tags, summary: 'An import: progress while it runs, outcome once it ended' } })
    .input(byImport)
    .output(importRunOutput)
    .query(async ({ ctx, input }) => publicView(await runOf(ctx, input))),

  rejects: workspaceProcedure
    .meta({
      action: 'import.read',
      authorize: 'role',
      download: { contentTypes: ['text/csv'] },
      openapi: { method: 'GET', path: `${PROJECT}/{importId}/rejects`, tags, summary: 'The rejected rows as CSV (row, line, column, reason, value, then the file’s columns); for whoever started it and Owners/Admins' },
    })
    .input(byImport)
    .output(z.custom<ConsoleDownload>((value) => value instanceof ConsoleDownload).meta({ override: { type: 'string', format: 'binary' }, description: 'The rejected rows as CSV' }))
    .query(async ({ ctx, input }) => {
      const run = await runOf(ctx, input);
      await requireStarterOrManager(ctx, 'import.read', run.startedByUserId, run.id);
      const file = await ctx.imports.rejectsCsv(ctx.workspace.id, run.id);
      return new ConsoleDownload(file.fileName, 'text/csv; charset=utf-8', file.open);
    }),

  cancel: workspaceProcedure
    .meta({ action: 'import.cancel', openapi: { method: 'POST', path: `${PROJECT}/{importId}/cancel`, tags, summary: 'Cancel a running import (nothing of it is committed); for whoever started it and Owners/Admins' } })
    .input(byImport)
    .output(importRunOutput)
    .mutation(async ({ ctx, input }) => {
      const run = await runOf(ctx, input);
      await requireStarterOrManager(ctx, 'import.cancel', run.startedByUserId, run.id);
      const cancelled = await ctx.imports.cancel(ctx.workspace.id, run.id);
      await ctx.recordAudit({ workspaceId: ctx.workspace.id, action: 'import.cancel', target: { type: 'import', id: run.id }, outcome: 'success', details: { outcome: cancelled.outcome } });
      return cancelled;
    }),
});
