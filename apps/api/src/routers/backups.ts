// Backups of the system database, for system Admins (the Backups page) and operators' tooling over
// REST: list the runs, take one now, fetch one's file. Restoring is a command-line job
// (`pnpm db:restore`): it replaces the database this API is running on.
import { z } from 'zod';
import { auditActorOf, rateLimitSubjectOf } from '../services/authorization';
import { NotFoundError } from '../services/errors';
import { router, systemAdminProcedure } from '../trpc';
import { pageOf, timestamp } from './_outputs';
import { pageInput } from './_schemas';

const REST = '/api/v1/backups';
const tags = ['backups'];

export const backupRunOutput = z.object({
  id: z.uuid(),
  trigger: z.enum(['manual', 'scheduled']),
  outcome: z.enum(['running', 'success', 'failure']),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  fileName: z.string().nullable(),
  bytes: z.number().int().nullable().meta({ description: 'Size of the backup file' }),
  durationMs: z.number().int().nullable(),
  summary: z
    .object({
      engine: z.enum(['pg', 'pglite']),
      appVersion: z.string(),
      migration: z.string().nullable().meta({ description: 'Schema version (last applied migration) the backup holds' }),
      tables: z.number().int(),
      rows: z.number().int(),
      payloadSha256: z.string(),
    })
    .nullable()
    .meta({ description: "What the backup's manifest records; null until it succeeded" }),
  error: z.string().nullable().meta({ description: 'Why the backup failed' }),
  downloadable: z.boolean().meta({ description: "The file is in this instance's backup folder (not pruned by retention)" }),
});

const backupId = z.object({ backupId: z.uuid() });

export const backupsRouter = router({
  list: systemAdminProcedure
    .meta({ openapi: { method: 'GET', path: REST, tags, summary: 'Backups of the system database, newest first (system Admins only)' } })
    .input(z.object(pageInput))
    .output(pageOf(backupRunOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.backups.list({ limit: input.limit, cursor: input.cursor });
    }),

  get: systemAdminProcedure
    .meta({ openapi: { method: 'GET', path: `${REST}/{backupId}`, tags, summary: 'One backup run' } })
    .input(backupId)
    .output(backupRunOutput)
    .query(({ ctx, input }) => ctx.backups.get(input.backupId)),

  run: systemAdminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: REST,
        tags,
        summary: 'Take a backup now; answers when it is written (or failed). 409 `backup_in_progress` while another one runs',
      },
    })
    .input(z.object({}))
    .output(backupRunOutput)
    .mutation(({ ctx }) => ctx.backups.run({ trigger: 'manual', actor: auditActorOf(ctx.principal) })),

  download: systemAdminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: `${REST}/{backupId}/file`,
        tags,
        summary: 'The backup file itself (application/octet-stream, attachment); 404 when it is not on this instance',
      },
    })
    .input(backupId)
    .output(backupRunOutput)
    .query(async ({ ctx, input }) => {
      const run = await ctx.backups.get(input.backupId);
      // Refused here, before any byte is sent; the HTTP layer streams the file (rest/handler.ts, the web route).
      if (!run.downloadable) throw new NotFoundError('Backup file', { backupId: run.id, reason: 'not_on_this_instance' });
      await ctx.audit.record({ actor: auditActorOf(ctx.principal), action: 'backup.download', target: { type: 'backup', id: run.id }, outcome: 'success', details: { file: run.fileName } });
      return run;
    }),
});
