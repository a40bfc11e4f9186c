// What the caller may do, decided once: the guards of connection-scoped procedures and the maps the
// UI reads to disable what someone may not do both come from here, so they cannot disagree.
import type { Context } from '../context';
import type { Principal, WorkspaceScope } from '../services/authorization';
import { allowed, verdictOf, type Verdict } from '../services/denials';
import type { WorkspaceRole } from '@studio/db/schema';
import {
  can,
  canAssignRole,
  connectionScopedActions,
  decideOnConnection,
  workspaceActions,
  workspaceRoles,
  type ConnectionScopedAction,
  type ConnectionUseFacts,
  type WorkspaceAction,
} from '../services/policy';

type ScopedContext = Context & { principal: Principal; workspace: WorkspaceScope };

export type ConnectionFacts = ConnectionUseFacts & { name: string };

export function connectionFactsOf(ctx: ScopedContext, connectionId: string): Promise<ConnectionFacts> {
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
  return ctx.connections.useFacts(ctx.workspace.id, connectionId, userId);
}

/**
 * Refuses (audited) `action` on a connection the caller may not take it on; answers the facts it
 * decided on. `facts` null: there is no connection (the workspace has no default environment).
 */
export async function authorizeOnConnection(
  ctx: ScopedContext,
  action: ConnectionScopedAction,
  facts: ConnectionFacts | null,
  target: { type: string; id?: string | null },
): Promise<void> {
  const decision = decideOnConnection(ctx.workspace.actor, action, facts);
  if (!decision.allowed) await ctx.authorizer.deny({ workspaceId: ctx.workspace.id, action, target, reason: decision.reason, facts: { connectionName: facts?.name } });
}

/** Every workspace action by the role table alone (actions decided per connection: see below). */
export function workspaceVerdicts(scope: WorkspaceScope): Record<WorkspaceAction, Verdict> {
  const verdicts = {} as Record<WorkspaceAction, Verdict>;
  for (const action of workspaceActions) {
    verdicts[action] = can(scope.actor, action) ? allowed : verdictOf(action, { allowed: false, reason: 'insufficient_role' }, { actorKind: scope.actor.kind });
  }
  return verdicts;
}

/** The actions decided per connection, on this one (or on none: no default environment). */
export function connectionVerdicts(scope: WorkspaceScope, facts: ConnectionFacts | null): Record<ConnectionScopedAction, Verdict> {
  const verdicts = {} as Record<ConnectionScopedAction, Verdict>;
  for (const action of connectionScopedActions) {
    verdicts[action] = verdictOf(action, decideOnConnection(scope.actor, action, facts), { connectionName: facts?.name, actorKind: scope.actor.kind });
  }
  return verdicts;
}

/**
 * Which roles the caller may give (a membership, a token's scope) or take from someone: Admins may
 * not create, promote to, demote or remove Owners.
 */
export function roleVerdicts(scope: WorkspaceScope, action: 'member.setRole' | 'token.create'): Record<WorkspaceRole, Verdict> {
  const verdicts = {} as Record<WorkspaceRole, Verdict>;
  for (const role of workspaceRoles) {
    verdicts[role] = verdictOf(action, canAssignRole(scope.role, role) ? { allowed: true } : { allowed: false, reason: 'role_ceiling' }, { role });
  }
  return verdicts;
}
