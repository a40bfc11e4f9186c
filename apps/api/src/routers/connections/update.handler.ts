// connections.update: a connection in use gets its new settings verified (one login, through the
// pool manager's `verify`) before anything is saved. A refused verification saves nothing and
// answers the server's reason; the pools keep the settings that work. Once saved, pools in use
// move to the new settings behind their traffic (the pool manager logs them in first).
import type { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import { ConnectionOperationError } from '../../services/errors';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';
import { assertHostAllowed, assertOtherHostsAllowed, changedFields, type updateInput, type WorkspaceHandlerContext } from './_schemas';

export async function updateHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof updateInput> }) {
  await authorizeOnConnection(ctx, 'connection.update', await connectionFactsOf(ctx, input.connectionId), { type: 'connection', id: input.connectionId });
  const { connectionId, ...patch } = input;
  const target = { type: 'connection', id: connectionId };
  if (patch.host !== undefined) {
    // Existence first, so an unknown id is NOT_FOUND rather than a policy refusal.
    await ctx.connections.hostOf(ctx.workspace.id, connectionId);
    await assertHostAllowed(ctx, patch.host, 'connection.update', target);
  }
  await assertOtherHostsAllowed(ctx, patch.options, 'connection.update', target);
  const plan = await ctx.connections.planUpdate(ctx.workspace.id, connectionId, patch);
  const livePool = ctx.pools.stats().pools.some((p) => p.workspaceId === ctx.workspace.id && p.connectionId === connectionId && p.state !== 'draining' && p.state !== 'closed');
  let verified = null;
  if (plan.settingsChanged && (plan.inUse || livePool)) {
    await ctx.rateLimits.consume('connectionTest', rateLimitSubjectOf(ctx.principal));
    verified = await ctx.connectionTester.run(plan.next, { probe: (probeTarget, options) => ctx.pools.verify(probeTarget, options) });
    if (!verified.success) {
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'connection.update',
        target,
        outcome: 'failure',
        details: { changed: changedFields(patch), reason: verified.details.reason, errorCode: verified.details.error_code },
      });
      throw new ConnectionOperationError(`The new settings could not be verified, nothing was saved (the connection keeps working with its current ones): ${verified.message}`, {
        ...verified.details,
        steps: verified.steps,
      });
    }
  }
  const updated = await ctx.atomically(async () => {
    const row = await ctx.connections.update(ctx.workspace.id, connectionId, patch, undefined, verified);
    await ctx.recordAudit({
      workspaceId: ctx.workspace.id,
      action: 'connection.update',
      target,
      outcome: 'success',
      details: { changed: changedFields(patch), ...(verified !== null && { verified: true }) },
    });
    return row;
  });
  // After the commit, so no instance reloads the old settings.
  await ctx.poolInvalidation.connectionChanged(ctx.workspace.id, connectionId, 'replace');
  return updated;
}
