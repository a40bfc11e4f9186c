import { connectionStatus, connectionType, workspaceRole } from '@studio/db/schema';
import { z } from 'zod';
import { pageOf, roleVerdictsOutput, timestamp, workspaceVerdictsOutput } from './_outputs';
import { roleVerdicts, workspaceVerdicts } from './_permissions';
import { rateLimitSubjectOf } from '../services/authorization';
import { RateLimitedError } from '../services/errors';
import { ACCOUNT_LINK_TTL_HOURS } from '../services/people';
import { canAssignRole } from '../services/policy';
import { authedProcedure, router, workspaceProcedure } from '../trpc';
import { pageInput, workspaceRoleInput } from './_schemas';
import { displayName, email, linkOf, linkOutput, personOutput, username } from './users';

const role = z.enum(workspaceRole.enumValues);

const workspaceOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  memberCount: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** The caller's role in it (a token's role for a token). */
  role,
});

const memberChangeOutput = z.object({ userId: z.uuid(), previousRole: role, role: role.nullable() });

const REST = '/api/v1/workspaces';
const tags = ['workspaces'];

const slug = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters and digits separated by single dashes');

export const workspacesRouter = router({
  listMine: authedProcedure
    .meta({ openapi: { method: 'GET', path: REST, tags, summary: "The caller's workspaces (a token: its own workspace)" } })
    .input(z.object(pageInput).optional())
    .output(pageOf(workspaceOutput))
    .query(async ({ ctx, input }) => {
      const p = ctx.principal;
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(p));
      if (p.kind === 'token') {
        const workspace = await ctx.workspaces.get(p.workspaceId);
        return { items: [{ ...workspace, role: p.role }], nextCursor: null };
      }
      return ctx.workspaces.listForUser(p.userId, { afterSlug: input?.cursor, limit: input?.limit ?? 50 });
    }),

  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: REST, tags, summary: 'Create a workspace (signed-in people only, 10/h; the creator becomes Owner)' } })
    .input(z.object({ name: z.string().trim().min(1).max(100), slug, description: z.string().max(2_000).nullish() }))
    .output(workspaceOutput)
    .mutation(async ({ ctx, input }) => {
      const p = ctx.principal;
      if (p.kind !== 'user') {
        return ctx.authorizer.deny({ workspaceId: null, action: 'workspace.create', reason: 'session_required' });
      }
      await ctx.rateLimits.consume('workspaceCreate', rateLimitSubjectOf(p));
      const workspace = await ctx.atomically(async () => {
        const workspace = await ctx.workspaces.create({ ...input, ownerId: p.userId });
        await ctx.recordAudit({
          workspaceId: workspace.id,
          action: 'workspace.create',
          target: { type: 'workspace', id: workspace.id },
          outcome: 'success',
          details: { name: workspace.name, slug: workspace.slug },
        });
        return workspace;
      });
      return workspace;
    }),

  get: workspaceProcedure
    .meta({ action: 'workspace.read', openapi: { method: 'GET', path: `${REST}/{workspaceSlug}`, tags, summary: 'A workspace, with the caller\'s role' } })
    .output(
      workspaceOutput.extend({
        can: workspaceVerdictsOutput.meta({
          description: "The caller's role-table answer for every workspace action: allowed, or why not and whom to ask. Actions decided per connection are answered by connections.permissions",
        }),
        canGiveRole: z.object({ member: roleVerdictsOutput, token: roleVerdictsOutput }).meta({ description: 'Which roles the caller may give or take, as a membership or a token scope' }),
      }),
    )
    .query(async ({ ctx }) => {
      const workspace = await ctx.workspaces.get(ctx.workspace.id);
      return {
        ...workspace,
        role: ctx.workspace.role,
        can: workspaceVerdicts(ctx.workspace),
        canGiveRole: { member: roleVerdicts(ctx.workspace, 'member.setRole'), token: roleVerdicts(ctx.workspace, 'token.create') },
      };
    }),

  /**
   * The web UI's frame around every workspace page (tRPC only): the workspace with the caller's
   * verdicts, whether they are a system Admin, and their workspaces for the switcher. One
   * system-database statement, where `get` + `listMine` + `account.get` were three.
   */
  shell: workspaceProcedure
    .meta({ action: 'workspace.read' })
    .input(z.object({ limit: z.number().int().min(1).max(200).default(200) }))
    .output(
      z.object({
        workspace: z.object({ id: z.uuid(), slug: z.string(), name: z.string(), role, can: workspaceVerdictsOutput, canGiveRole: z.object({ member: roleVerdictsOutput, token: roleVerdictsOutput }) }),
        isSystemAdmin: z.boolean(),
        /** Null when the switcher's list was refused by the rate limit: the frame still renders. */
        workspaces: z.array(z.object({ slug: z.string(), name: z.string(), role })).nullable(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const p = ctx.principal;
      if (p.kind !== 'user') return ctx.authorizer.deny({ workspaceId: ctx.workspace.id, action: 'workspace.read', auditAction: 'workspaces.shell', reason: 'session_required' });
      const listed = await ctx.rateLimits.consume('list', rateLimitSubjectOf(p)).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RateLimitedError) return false;
          throw error;
        },
      );
      const shell = await ctx.workspaces.shellFor(p.userId, ctx.workspace.id, listed ? input.limit : null);
      return {
        workspace: {
          id: ctx.workspace.id,
          slug: ctx.workspace.slug,
          name: shell.name,
          role: ctx.workspace.role,
          can: workspaceVerdicts(ctx.workspace),
          canGiveRole: { member: roleVerdicts(ctx.workspace, 'member.setRole'), token: roleVerdicts(ctx.workspace, 'token.create') },
        },
        isSystemAdmin: shell.systemRole === 'Admin',
        workspaces: shell.workspaces,
      };
    }),

  /**
   * The web UI's overview page (tRPC only): the caller's role, the connections and the environment
   * choices, in one system-database statement where `connections.list` + `environments.choices`
   * (+ `get` for the role) were three.
   */
  overview: workspaceProcedure
    .meta({ action: 'connection.read' })
    .input(z.object({ limit: z.number().int().min(1).max(200).default(200) }))
    .output(
      z.object({
        role,
        connections: z.array(z.object({ id: z.uuid(), name: z.string(), type: z.enum(connectionType.enumValues), status: z.enum(connectionStatus.enumValues), lastTestedAt: z.date().nullable(), poolSize: z.number().int().nullable() })),
        environments: z.array(z.object({ id: z.uuid(), name: z.string(), isDefault: z.boolean(), configured: z.boolean(), status: z.enum(connectionStatus.enumValues).nullable() })),
      }),
    )
    .query(async ({ ctx, input }) => {
      // The environment choices are the `environment.use` answer of environments.choices.
      await ctx.authorizer.require(ctx.workspace, 'environment.use');
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return { role: ctx.workspace.role, ...(await ctx.workspaces.overviewOf(ctx.workspace.id, input.limit)) };
    }),

  members: workspaceProcedure
    .meta({ action: 'member.read', openapi: { method: 'GET', path: `${REST}/{workspaceSlug}/members`, tags, summary: 'Members and their roles' } })
    .input(z.object(pageInput))
    .output(pageOf(z.object({ userId: z.uuid(), username: z.string(), displayName: z.string().nullable(), role, joinedAt: timestamp })))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.workspaces.listMembers(ctx.workspace.id, { afterUsername: input.cursor, limit: input.limit });
    }),

  /** Search-as-you-type for "add member": active people whose username or name starts with `query`. */
  searchUsers: workspaceProcedure
    .meta({ action: 'member.add' })
    .input(z.object({ query: z.string().trim().min(1).max(64), limit: z.number().int().min(1).max(20).default(10) }))
    .output(z.array(z.object({ id: z.uuid(), username: z.string(), displayName: z.string().nullable() })))
    .query(async ({ ctx, input }) => {
      await ctx.rateLimits.consume('list', rateLimitSubjectOf(ctx.principal));
      return ctx.people.search(input.query, input.limit);
    }),

  addMember: workspaceProcedure
    .meta({ action: 'member.add', openapi: { method: 'POST', path: `${REST}/{workspaceSlug}/members`, tags, summary: 'Add a user (by userId or username) with a role' } })
    .input(
      z
        .object({ userId: z.uuid().optional(), username: z.string().trim().min(1).max(64).optional(), role: workspaceRoleInput.default('Member') })
        .refine((v) => v.userId !== undefined || v.username !== undefined, { message: 'userId or username is required', path: ['userId'] }),
    )
    .output(z.object({ userId: z.uuid(), username: z.string(), role }))
    .mutation(async ({ ctx, input }) => {
      const target = { type: 'member', id: input.userId ?? input.username ?? null };
      await ctx.authorizer.requireThat(canAssignRole(ctx.workspace.role, input.role), {
        workspaceId: ctx.workspace.id,
        action: 'member.add',
        target,
        reason: 'role_ceiling',
        facts: { role: input.role },
      });
      const user = await ctx.workspaces.findUser(input);
      const member = await ctx.atomically(async () => {
        const member = await ctx.workspaces.addMember(ctx.workspace.id, user.id, input.role);
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'member.add',
          target: { type: 'member', id: user.id },
          outcome: 'success',
          details: { username: user.username, role: input.role },
        });
        return member;
      });
      return { ...member, username: user.username };
    }),

  /**
   * Creates a new person with a one-time invite link and adds them to this workspace, in one
   * transaction with both audit rows: either the person exists and is a member, or nothing was
   * saved. Needs a signed-in Owner/Admin of the workspace who is also a system Admin (creating
   * people is people administration); the link (72 h, single use) is in this answer only.
   */
  inviteMember: workspaceProcedure
    .meta({
      action: 'member.invite',
      openapi: { method: 'POST', path: `${REST}/{workspaceSlug}/members/invite`, tags, summary: 'Create a new person with a one-time invite link and add them with a role (system Admins only)' },
    })
    .input(z.object({ username, displayName: displayName.nullish(), email: email.nullish(), role: workspaceRoleInput.default('Member') }))
    .output(z.object({ user: personOutput, role, link: linkOutput }))
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      // The policy already refuses tokens ('member.invite' is human-only); this narrows the type.
      if (ctx.principal.kind !== 'user') {
        return ctx.authorizer.deny({ workspaceId, action: 'member.invite', reason: 'session_required' });
      }
      const invitedBy = ctx.principal.userId;
      await ctx.authorizer.requireThat((await ctx.people.activeSystemRole(invitedBy)) === 'Admin', {
        workspaceId,
        action: 'member.invite',
        target: { type: 'member', id: input.username },
        reason: 'not_system_admin',
      });
      await ctx.authorizer.requireThat(canAssignRole(ctx.workspace.role, input.role), {
        workspaceId,
        action: 'member.invite',
        target: { type: 'member', id: input.username },
        reason: 'role_ceiling',
        facts: { role: input.role },
      });
      await ctx.rateLimits.consume('accountLink', rateLimitSubjectOf(ctx.principal));
      const created = await ctx.atomically(async () => {
        const created = await ctx.people.create({ username: input.username, displayName: input.displayName, email: input.email, systemRole: 'User', createdBy: invitedBy });
        await ctx.recordAudit({
          action: 'user.invite',
          target: { type: 'user', id: created.userId },
          outcome: 'success',
          details: { username: input.username, systemRole: 'User', expiresInHours: ACCOUNT_LINK_TTL_HOURS, workspaceSlug: ctx.workspace.slug },
        });
        const member = await ctx.workspaces.addMember(workspaceId, created.userId, input.role);
        await ctx.recordAudit({
          workspaceId,
          action: 'member.add',
          target: { type: 'member', id: created.userId },
          outcome: 'success',
          details: { username: input.username, role: member.role, invited: true },
        });
        return created;
      });
      if (!created.link) throw new Error('an invited person always gets a link');
      return { user: await ctx.people.get(created.userId), role: input.role, link: linkOf(created.link) };
    }),

  setMemberRole: workspaceProcedure
    .meta({ action: 'member.setRole', openapi: { method: 'PATCH', path: `${REST}/{workspaceSlug}/members/{userId}`, tags, summary: "Change a member's role" } })
    .input(z.object({ userId: z.uuid(), role: workspaceRoleInput }))
    .output(memberChangeOutput)
    .mutation(async ({ ctx, input }) => {
      const current = await ctx.workspaces.membership(ctx.workspace.id, input.userId);
      await ctx.authorizer.requireThat(canAssignRole(ctx.workspace.role, input.role, current), {
        workspaceId: ctx.workspace.id,
        action: 'member.setRole',
        target: { type: 'member', id: input.userId },
        reason: 'role_ceiling',
        facts: { role: 'Owner' },
      });
      const { revokedGrants: _g, revokedTokens: _t, ...result } = await ctx.atomically(async () => {
        const changed = await ctx.workspaces.changeMember(ctx.workspace.id, input.userId, { role: input.role });
        const { revokedGrants: _g, revokedTokens: _t, ...result } = changed;
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'member.setRole',
          target: { type: 'member', id: input.userId },
          outcome: 'success',
          details: { from: result.previousRole, to: input.role },
        });
        return changed;
      });
      return result;
    }),

  removeMember: workspaceProcedure
    .meta({ action: 'member.remove', openapi: { method: 'DELETE', path: `${REST}/{workspaceSlug}/members/{userId}`, tags, summary: 'Remove a member (never the last Owner)' } })
    .input(z.object({ userId: z.uuid() }))
    .output(memberChangeOutput)
    .mutation(async ({ ctx, input }) => {
      const current = await ctx.workspaces.membership(ctx.workspace.id, input.userId);
      await ctx.authorizer.requireThat(current === undefined || canAssignRole(ctx.workspace.role, current, current), {
        workspaceId: ctx.workspace.id,
        action: 'member.remove',
        target: { type: 'member', id: input.userId },
        reason: 'role_ceiling',
        facts: { role: 'Owner' },
      });
      const { revokedGrants, revokedTokens, ...result } = await ctx.atomically(async () => {
        const changed = await ctx.workspaces.changeMember(ctx.workspace.id, input.userId, { remove: true });
        const { revokedGrants, revokedTokens, ...result } = changed;
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'member.remove',
          target: { type: 'member', id: input.userId },
          outcome: 'success',
          // Counts only ('token' in a key is redacted from audit details); each token has its own row below.
          details: { role: result.previousRole, grantsRevoked: revokedGrants.length, revokedIssuedKeys: revokedTokens.length },
        });
        return changed;
      });
      // Each access that left with the member gets its own row, where its own history is read.
      for (const grant of revokedGrants) {
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'access.revoke',
          target: { type: 'connection', id: grant.connectionId },
          outcome: 'success',
          details: { userId: input.userId, previousLevel: grant.level, reason: 'member_removed' },
        });
      }
      for (const token of revokedTokens) {
        await ctx.recordAudit({
          workspaceId: ctx.workspace.id,
          action: 'token.revoke',
          target: { type: 'api_token', id: token.id },
          outcome: 'success',
          details: { name: token.name, prefix: token.prefix, reason: 'member_removed' },
        });
      }
      return result;
    }),
});
