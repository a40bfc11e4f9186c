import { workspaceRole } from '@studio/db/schema';
import { z } from 'zod';
import { pageOf, timestamp } from './_outputs';
import { rateLimitSubjectOf } from '../services/authorization';
import { canAssignRole } from '../services/policy';
import { router, workspaceProcedure } from '../trpc';
import { dateInput, pageInput, workspaceRoleInput } from './_schemas';

/** A token as listed: its display prefix, never the token or its hash. */
const tokenOutput = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  role: z.enum(workspaceRole.enumValues),
  createdBy: z.uuid().nullable(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});

const REST = '/api/v1/workspaces/{workspaceSlug}/tokens';
const tags = ['tokens'];

export const tokensRouter = router({
  /** Returns the token once; only its hash is stored. */
  create: workspaceProcedure
    .meta({ action: 'token.create', openapi: { method: 'POST', path: REST, tags, summary: 'Create an API token (people only, 20/h; the token is in this answer only)' } })
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        role: workspaceRoleInput.default('Member'),
        expiresAt: dateInput.refine((d) => d.getTime() > Date.now(), 'must be in the future').nullish(),
      }),
    )
    .output(tokenOutput.extend({ token: z.string().meta({ description: 'The bearer token (wss_…); shown once' }) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.authorizer.requireThat(canAssignRole(ctx.workspace.role, input.role), {
        workspaceId: ctx.workspace.id,
        action: 'token.create',
        target: { type: 'api_token' },
        reason: 'role_ceiling',
        facts: { role: input.role },
      });
      await ctx.rateLimits.consume('tokenCreate', rateLimitSubjectOf(ctx.principal));
      // workspaceProcedure's policy refuses tokens here ('token.create' is human-only).
      const createdBy = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const created = await ctx.atomically(async () => {
        const created = await ctx.tokens.create({ workspaceId: ctx.workspace.id, name: input.name, role: input.role, expiresAt: input.expiresAt, createdBy });
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'token.create',
          target: { type: 'api_token', id: created.id },
          outcome: 'success',
          details: { name: created.name, role: created.role, prefix: created.prefix },
        });
        return created;
      });
      return created;
    }),

  list: workspaceProcedure
    .meta({ action: 'token.read', openapi: { method: 'GET', path: REST, tags, summary: 'API tokens, newest first' } })
    .input(z.object({ ...pageInput, cursor: z.uuid().optional() }))
    .output(pageOf(tokenOutput))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.tokens.list(ctx.workspace.id, { afterId: input.cursor, limit: input.limit });
    }),

  revoke: workspaceProcedure
    .meta({ action: 'token.revoke', openapi: { method: 'DELETE', path: `${REST}/{tokenId}`, tags, summary: 'Revoke an API token' } })
    .input(z.object({ tokenId: z.uuid() }))
    .output(tokenOutput)
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.atomically(async () => {
        const revoked = await ctx.tokens.revoke(ctx.workspace.id, input.tokenId);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'token.revoke',
          target: { type: 'api_token', id: revoked.id },
          outcome: 'success',
          details: { name: revoked.name, prefix: revoked.prefix },
        });
        return revoked;
      });
      return revoked;
    }),
});
