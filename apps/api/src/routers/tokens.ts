import { z } from 'zod';
import { rateLimitSubjectOf } from '../services/authorization';
import { canAssignRole } from '../services/policy';
import { router, workspaceProcedure } from '../trpc';
import { pageInput, workspaceRoleInput } from './_schemas';

export const tokensRouter = router({
  /** Returns the token once; only its hash is stored. */
  create: workspaceProcedure
    .meta({ action: 'token.create' })
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        role: workspaceRoleInput.default('Member'),
        expiresAt: z.coerce.date().refine((d) => d.getTime() > Date.now(), 'must be in the future').nullish(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.authorizer.requireThat(canAssignRole(ctx.workspace.role, input.role), {
        workspaceId: ctx.workspace.id,
        action: 'token.create',
        target: { type: 'api_token' },
        message: `Your role cannot create a token with the ${input.role} role`,
        reason: 'role_ceiling',
      });
      // workspaceProcedure's policy refuses tokens here ('token.create' is human-only).
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const created = await ctx.tokens.create({ workspaceId: ctx.workspace.id, name: input.name, role: input.role, expiresAt: input.expiresAt, createdBy });
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'token.create',
        target: { type: 'api_token', id: created.id },
        outcome: 'success',
        details: { name: created.name, role: created.role, prefix: created.prefix },
      });
      return created;
    }),

  list: workspaceProcedure
    .meta({ action: 'token.read' })
    .input(z.object({ ...pageInput, cursor: z.uuid().optional() }))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.tokens.list(ctx.workspace.id, { afterId: input.cursor, limit: input.limit });
    }),

  revoke: workspaceProcedure
    .meta({ action: 'token.revoke' })
    .input(z.object({ tokenId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.tokens.revoke(ctx.workspace.id, input.tokenId);
      await ctx.recordAudit({
        workspaceId: ctx.workspace.id,
        action: 'token.revoke',
        target: { type: 'api_token', id: revoked.id },
        outcome: 'success',
        details: { name: revoked.name, prefix: revoked.prefix },
      });
      return revoked;
    }),
});
