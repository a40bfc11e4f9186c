// Workspace database migrations (MISSION F5): status for everyone in the workspace; migrate (apply),
// rollback and dry run for Owners/Admins; apply-all across workspaces for system Admins only.
// The work (and the audit row of every run) is in services/workspace-migrations.ts.
import { hostname } from 'node:os';
import { z } from 'zod';
import { auditActorOf, isSystemAdmin, rateLimitSubjectOf, type Principal } from '../services/authorization';
import { canManageConnection } from '../services/policy';
import { hideLogin } from '../services/server-messages';
import type { MigrationOrigin } from '../services/workspace-migrations';
import { authedProcedure, router, workspaceProcedure } from '../trpc';
import type { Context } from '../context';

const environmentChoice = { environmentId: z.uuid().optional() };
const version = z.number().int().min(0).max(1_000_000);

export const migrationStatusInput = z.object(environmentChoice);
export const applyMigrationsInput = z.object({ ...environmentChoice, target: version.optional() });
export const rollbackMigrationsInput = z.object({ ...environmentChoice, steps: z.number().int().min(1).max(1_000).default(1) });
export const dryRunMigrationsInput = z.object({
  ...environmentChoice,
  direction: z.enum(['up', 'down']).default('up'),
  target: version.optional(),
  steps: z.number().int().min(1).max(1_000).optional(),
});
export const applyAllMigrationsInput = z.object({ concurrency: z.number().int().min(1).max(64).optional() });

function originOf(ctx: Pick<Context, 'requestMeta'>, principal: Principal, trigger: MigrationOrigin['trigger']): MigrationOrigin {
  const who = principal.kind === 'user' ? principal.username : `token:${principal.prefix}`;
  return {
    actor: auditActorOf(principal),
    ip: ctx.requestMeta.ip,
    userAgent: ctx.requestMeta.userAgent,
    appliedBy: `${who} via api@${hostname()}`,
    trigger,
  };
}

export const workspaceMigrationsRouter = router({
  /** Current version, pending migrations, last error and drift details of one environment's database (default: the default environment). */
  status: workspaceProcedure
    .meta({ action: 'migration.read' })
    .input(migrationStatusInput)
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('status', rateLimitSubjectOf(ctx.principal));
      const scope = await ctx.workspaceMigrations.resolve(ctx.workspace.id, input.environmentId);
      const status = await ctx.workspaceMigrations.status(scope);
      const grant = ctx.principal.kind === 'user' ? await ctx.connections.grantOf(scope.connectionId, ctx.principal.userId) : undefined;
      if (canManageConnection(ctx.workspace.actor, grant)) return status;
      // Everyone reads the status; the database's messages keep the login name to its managers.
      return {
        ...status,
        error: status.error && { ...status.error, message: hideLogin(status.error.message, null) },
        lastError: status.lastError && { ...status.lastError, message: hideLogin(status.lastError.message, null) },
      };
    }),

  /**
   * Applies pending migrations (up to `target`); the report says applied / current / failed /
   * locked / drifted. Named `migrate` because tRPC reserves `apply` (a Function.prototype name).
   */
  migrate: workspaceProcedure
    .meta({ action: 'migration.apply' })
    .input(applyMigrationsInput)
    .mutation(async ({ ctx, input }) => {
      const scope = await ctx.workspaceMigrations.resolve(ctx.workspace.id, input.environmentId);
      return ctx.workspaceMigrations.apply(scope, { target: input.target }, originOf(ctx, ctx.principal, 'api'));
    }),

  /** Runs the down parts of the last `steps` applied migrations, newest first. */
  rollback: workspaceProcedure
    .meta({ action: 'migration.apply' })
    .input(rollbackMigrationsInput)
    .mutation(async ({ ctx, input }) => {
      const scope = await ctx.workspaceMigrations.resolve(ctx.workspace.id, input.environmentId);
      return ctx.workspaceMigrations.rollback(scope, { steps: input.steps }, originOf(ctx, ctx.principal, 'api'));
    }),

  /** The SQL an apply (direction up) or rollback (down) would send; changes nothing. */
  dryRun: workspaceProcedure
    .meta({ action: 'migration.apply' })
    .input(dryRunMigrationsInput)
    .query(async ({ ctx, input }) => {
      const scope = await ctx.workspaceMigrations.resolve(ctx.workspace.id, input.environmentId);
      return ctx.workspaceMigrations.dryRun(scope, { direction: input.direction, target: input.target, steps: input.steps });
    }),

  /** Whether the caller may run applyAll (a system Admin), so a UI shows the button only to them. */
  canApplyAll: authedProcedure.query(async ({ ctx }) => ({
    allowed: ctx.principal.kind === 'user' && (await isSystemAdmin(ctx.db, ctx.principal.userId)),
  })),

  /**
   * Every workspace's default environment, `concurrency` at a time, continuing past failures, with
   * a per-workspace report. System-wide, so only a system Admin (users.role 'Admin') may run it;
   * API tokens are scoped to one workspace and never can.
   */
  applyAll: authedProcedure.input(applyAllMigrationsInput).mutation(async ({ ctx, input }) => {
    const principal = ctx.principal;
    const allowed = principal.kind === 'user' && (await isSystemAdmin(ctx.db, principal.userId));
    await ctx.authorizer.requireThat(allowed, {
      workspaceId: null,
      action: 'migration.applyAll',
      reason: 'system_admin_only',
    });
    const report = await ctx.workspaceMigrations.applyAll({ concurrency: input.concurrency }, originOf(ctx, principal, 'applyAll'));
    await ctx.recordAudit({
      workspaceId: null,
      action: 'migration.applyAll',
      outcome: report.failed === 0 ? 'success' : 'failure',
      details: { concurrency: report.concurrency, ok: report.ok, failed: report.failed, skipped: report.skipped, durationMs: report.durationMs },
    });
    return report;
  }),
});
