// sqlEditor.deployments: every environment of the workspace with what it runs of the procedure
// (hash, who, when, and whether that is the current draft), and what the caller may do there, so
// the editor offers only the environments a person may pick.
import type { z } from 'zod';
import { canManageConnection, canUseConnection, can } from '../../services/policy';
import type { SqlEditorContext, byId } from './_schemas';

export async function deploymentsHandler({ ctx, input }: { ctx: SqlEditorContext; input: z.output<typeof byId> }) {
  const editor = ctx.sqlEditor;
  const record = await editor.get(ctx.workspace.id, input.procedureId);
  const listed = await editor.deployments.list(ctx.workspace.id, record.id);
  const actor = ctx.workspace.actor;
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
  const environments = await Promise.all(
    listed.map(async (environment) => {
      let canRun = false;
      let canPublish = false;
      if (environment.connectionId !== null) {
        if (can(actor, 'procedure.execute') || can(actor, 'procedure.publish')) {
          canRun = can(actor, 'procedure.execute');
          canPublish = can(actor, 'procedure.publish');
        }
        if (actor.role === 'Member' && (!canRun || !canPublish)) {
          const facts = await ctx.connections.useFacts(ctx.workspace.id, environment.connectionId, userId);
          canRun ||= canUseConnection(actor, facts);
          canPublish ||= canManageConnection(actor, facts.grant);
        }
      }
      const { deployment } = environment;
      return {
        environmentId: environment.environmentId,
        environmentName: environment.environmentName,
        isDefault: environment.isDefault,
        configured: environment.connectionId !== null,
        deployment: deployment === null ? null : { ...deployment, matchesDraft: deployment.sqlHash === record.sqlDraftHash },
        canRun,
        canPublish,
      };
    }),
  );
  return { procedureId: record.id, sqlDraftHash: record.sqlDraftHash, environments };
}
