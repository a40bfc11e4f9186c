// sqlEditor.publish: deploy the draft as CREATE OR ALTER PROCEDURE on the target environment's
// SQL Server; sql_published and the environment's deployment row change only when the server
// accepted it, in one transaction with the success audit row. Both outcomes are audited (the SQL text is not: audit rows say who did what,
// the procedure row holds the text).
import type { z } from 'zod';
import { sqlHashOf, SqlServerError } from '../../services/sql-editor';
import { authorizeOnTarget, type SqlEditorContext } from './_schemas';
import type { publishInput } from './publish.schema';

export async function publishHandler({ ctx, input }: { ctx: SqlEditorContext; input: z.output<typeof publishInput> }) {
  const editor = ctx.sqlEditor;
  const record = await editor.get(ctx.workspace.id, input.procedureId);
  const target = await editor.targetOf(ctx.workspace.id, input.environmentId);
  await authorizeOnTarget(ctx, 'procedure.publish', target, record.id);
  const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
    ctx.recordAudit({
      workspaceId: ctx.workspace.id,
      action: 'procedure.publish',
      target: { type: 'procedure', id: record.id },
      outcome,
      details: { name: record.qualifiedName, environmentId: target.environmentId, connectionId: target.connectionId, ...details },
    });
  // The CREATE OR ALTER on the workspace server cannot join a system-database transaction, so it
  // runs first; the published record and its audit row then commit together. Should that commit
  // fail, the server already runs the new text while the record still shows the previous one: the
  // call fails, its failure row says `deployedToServer: true`, and publishing again (CREATE OR
  // ALTER is idempotent) brings the record level.
  let deployedToServer = false;
  try {
    const { sqlDeployed } = await editor.deploy(ctx.workspace.id, record.id, target, input.expectedUpdatedAt);
    deployedToServer = true;
    const deployedBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
    const published = await ctx.atomically(async () => {
      const published = await editor.markPublished(ctx.workspace.id, record.id, sqlDeployed);
      await editor.deployments.record({ procedureId: record.id, environmentId: target.environmentId, sqlText: sqlDeployed, deployedBy });
      await audit('success', { sqlHash: sqlHashOf(sqlDeployed) });
      return published;
    });
    return { procedure: published, environment: { id: target.environmentId, name: target.environmentName, isDefault: target.isDefault } };
  } catch (error) {
    const details =
      error instanceof SqlServerError
        ? { errorNumber: error.server.number, line: error.server.line }
        : { errorCode: (error as { code?: unknown }).code ?? null, field: (error as { details?: { field?: unknown } }).details?.field ?? null };
    await audit('failure', { ...details, ...(deployedToServer && { deployedToServer }) });
    throw error;
  }
}
