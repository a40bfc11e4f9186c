// sqlEditor.deployments: every environment of the workspace with what it runs of the procedure
// (hash, who, when, and whether that is the current draft), and what the caller may do there, so
// the editor offers only the environments a person may pick.
import type { z } from 'zod';
import { connectionFactsOf, connectionVerdicts } from '../_permissions';
import type { SqlEditorContext, byId } from './_schemas';

export async function deploymentsHandler({ ctx, input }: { ctx: SqlEditorContext; input: z.output<typeof byId> }) {
  const editor = ctx.sqlEditor;
  const record = await editor.get(ctx.workspace.id, input.procedureId);
  const listed = await editor.deployments.list(ctx.workspace.id, record.id);
  const environments = await Promise.all(
    listed.map(async (environment) => {
      // The same decision the publish and execute guards make, on this environment's connection.
      // An environment with no connection is decided on none, as a workspace without a default is.
      const facts = environment.connectionId === null ? null : await connectionFactsOf(ctx, environment.connectionId);
      const verdicts = connectionVerdicts(ctx.workspace, facts);
      const can = { publish: verdicts['procedure.publish'], execute: verdicts['procedure.execute'] };
      const { deployment } = environment;
      return {
        environmentId: environment.environmentId,
        environmentName: environment.environmentName,
        isDefault: environment.isDefault,
        configured: environment.connectionId !== null,
        deployment: deployment === null ? null : { ...deployment, matchesDraft: deployment.sqlHash === record.sqlDraftHash },
        canRun: environment.connectionId !== null && can.execute.allowed,
        canPublish: environment.connectionId !== null && can.publish.allowed,
        can,
      };
    }),
  );
  return { procedureId: record.id, sqlDraftHash: record.sqlDraftHash, environments };
}
