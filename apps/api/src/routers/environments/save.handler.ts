// Saving an environment (create / update), MISSION F3: validate (zod, at the edge) → outbound
// policy → connection test with the merged parameters → only on success (or an Owner's
// saveUntested) write everything and the save's audit row in one transaction → invalidate the
// pools of changed connections → apply workspace migrations to a new or changed connection (F5)
// unless the environment opted out. A failed migration does not undo the save: it is reported in
// `migration`, stored as status and audited as its own `migration.apply` row.
import { hostname } from 'node:os';
import type { z } from 'zod';
import { auditActorOf, rateLimitSubjectOf } from '../../services/authorization';
import { SecurityViolationError } from '../../services/connection-tls';
import { ConnectionOperationError } from '../../services/errors';
import { can } from '../../services/policy';
import { WorkspaceMigrationService, type AfterSaveInput } from '../../services/workspace-migrations';
import { assertHostAllowed, assertOtherHostsAllowed, type WorkspaceHandlerContext } from '../connections/_schemas';
import type { createEnvironmentInput, updateEnvironmentInput } from './save.schema';

type SaveInput = z.output<typeof createEnvironmentInput> | z.output<typeof updateEnvironmentInput>;

export async function saveEnvironment(ctx: WorkspaceHandlerContext, environmentId: string | null, input: SaveInput) {
  const action = environmentId === null ? 'environment.create' : 'environment.update';
  const target = { type: 'environment', id: environmentId };
  if (input.saveUntested) {
    await ctx.authorizer.requireThat(can(ctx.workspace.actor, 'environment.saveUntested'), {
      workspaceId: ctx.workspace.id,
      action: 'environment.saveUntested',
      target,
      reason: 'owner_only',
    });
  }
  const { saveUntested, timeoutMs, ...fields } = input;
  const plan = await ctx.environments.prepareSave(ctx.workspace.id, environmentId, fields);

  let test = null;
  if (plan.target) {
    await assertHostAllowed(ctx, plan.target.host, action, target);
    await assertOtherHostsAllowed(ctx, plan.target.options, action, target, 'connection.');
    if (!saveUntested) {
      await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
      // Through the pool manager's verify: the test is the verification of the new settings.
      test = await ctx.connectionTester.run(plan.target, { deadlineMs: timeoutMs, probe: (probeTarget, options) => ctx.pools.verify(probeTarget, options) });
      if (!test.success) {
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action,
          target,
          outcome: 'failure',
          details: { name: input.name, reason: test.details.reason, errorCode: test.details.error_code },
        });
        const message = `The connection test failed, nothing was saved: ${test.message}`;
        if (test.details.reason === 'ssl_required') throw new SecurityViolationError(message, { ...test.details, steps: test.steps });
        throw new ConnectionOperationError(message, { ...test.details, steps: test.steps });
      }
    }
  }

  const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
  const changed = Object.keys(fields).filter((key) => key !== 'environmentId' && key !== 'workspaceId' && key !== 'workspaceSlug' && (fields as Record<string, unknown>)[key] !== undefined);
  // The save and its audit row commit together. The migrations that follow run on the workspace
  // database after the commit, so this row can only say whether they will run (`pending`, with why)
  // or why not; their outcome is the run's own `migration.apply` row and the answer's `migration`.
  const { environment, invalidate, afterSave } = await ctx.atomically(async () => {
    const saved = await ctx.environments.commitSave(plan, test, createdBy);
    const afterSave: AfterSaveInput = {
      workspaceId: ctx.workspace.id,
      environmentId: saved.environment.id,
      connectionId: saved.environment.connectionId,
      autoMigrate: saved.environment.autoMigrate,
      trigger: ctx.environments.migrationTriggerOf(plan, saved.environment),
      savedUntested: saveUntested,
    };
    const skipped = WorkspaceMigrationService.skippedAfterSave(afterSave);
    await ctx.recordAudit({
      workspaceId: ctx.workspace.id,
      action,
      target: { type: 'environment', id: saved.environment.id },
      outcome: 'success',
      details: {
        name: saved.environment.name,
        connectionId: saved.environment.connectionId,
        tested: test !== null,
        saveUntested,
        migration: skipped ? { status: skipped.status, version: skipped.version, applied: [], reason: skipped.reason } : { status: 'pending', trigger: afterSave.trigger },
        changed,
      },
    });
    // Which connection an environment points at (or whether it is the default) may have changed.
    await ctx.workspaceDatabases.targetsChanged(ctx.workspace.id);
    return { ...saved, afterSave };
  });
  for (const connectionId of invalidate) await ctx.poolInvalidation.connectionChanged(ctx.workspace.id, connectionId, 'replace');
  const migration = await ctx.workspaceMigrations.afterEnvironmentSave(afterSave, {
    actor: auditActorOf(ctx.principal),
    ip: ctx.requestMeta.ip,
    userAgent: ctx.requestMeta.userAgent,
    appliedBy: `${ctx.principal.kind === 'user' ? ctx.principal.username : `token:${ctx.principal.prefix}`} via api@${hostname()}`,
    trigger: 'environment.save',
  });
  // The environment as stored after the run, so its migration status is the one just written.
  const saved = migration.status === 'skipped' ? environment : await ctx.environments.get(ctx.workspace.id, environment.id);
  return { environment: saved, test, migration };
}
