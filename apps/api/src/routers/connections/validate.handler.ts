// connections.validate: the create schema (zod, at the edge) plus the outbound policy, without
// connecting. Answers what is wrong rather than throwing, so a form can show it next to the field.
import type { z } from 'zod';
import { rateLimitSubjectOf } from '../../services/authorization';
import type { WorkspaceHandlerContext } from './_schemas';
import type { testDraftInput } from './test.schema';

export async function validateHandler({ ctx, input }: { ctx: WorkspaceHandlerContext; input: z.output<typeof testDraftInput> }) {
  await ctx.rateLimits.consume('connectionValidate', rateLimitSubjectOf(ctx.principal));
  const decision = await ctx.outboundPolicy.check(input.host);
  if (decision.allowed) return { valid: true as const, problems: [] };
  return { valid: false as const, problems: [{ field: 'host', reason: decision.reason, message: decision.message }] };
}
