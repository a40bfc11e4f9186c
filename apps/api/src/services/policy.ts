// Who may do what (MISSION F6), as pure functions so the whole matrix is testable without a
// database. Enforcement (FORBIDDEN + audit row) happens in one place: services/authorization.ts.
import type { ConnectionAccessLevel, WorkspaceRole } from '@studio/db/schema';

export const workspaceRoles = ['Owner', 'Admin', 'Member', 'Viewer'] as const satisfies readonly WorkspaceRole[];

/** Every workspace-scoped action a procedure can ask about. Also the audit `action` of the call. */
export type WorkspaceAction =
  | 'workspace.read'
  | 'member.read'
  | 'member.add'
  | 'member.invite'
  | 'member.setRole'
  | 'member.remove'
  | 'connection.read'
  | 'connection.create'
  | 'connection.update'
  | 'connection.delete'
  | 'connection.test'
  | 'connection.testDraft'
  | 'connection.validate'
  | 'connection.status'
  | 'connection.reset'
  | 'connection.poolStats'
  | 'connection.schema'
  | 'access.read'
  | 'access.grant'
  | 'access.revoke'
  | 'token.read'
  | 'token.create'
  | 'token.revoke'
  | 'audit.read'
  | 'environment.use'
  | 'environment.read'
  | 'environment.manage'
  | 'environment.saveUntested'
  | 'migration.read'
  | 'migration.apply'
  | 'procedure.read'
  | 'procedure.draft'
  | 'procedure.publish'
  | 'procedure.execute'
  | 'procedure.cancel'
  | 'procedure.delete'
  | 'console.read'
  | 'console.run'
  | 'console.cancel'
  | 'console.setAccess'
  | 'console.saveQuery'
  | 'console.deleteQuery'
  | 'project.read'
  | 'project.manage'
  | 'import.read'
  | 'import.run'
  | 'import.cancel';

export type PrincipalKind = 'user' | 'token';

export interface Actor {
  kind: PrincipalKind;
  /** The member's role, or the token's scope role. */
  role: WorkspaceRole;
}

const managers: readonly WorkspaceRole[] = ['Owner', 'Admin'];
const everyone: readonly WorkspaceRole[] = workspaceRoles;

const rolesByAction: Record<WorkspaceAction, readonly WorkspaceRole[]> = {
  'workspace.read': everyone,
  'member.read': everyone,
  'member.add': managers,
  // Creating a person is also a system Admin's call: the procedure checks that on top.
  'member.invite': managers,
  'member.setRole': managers,
  'member.remove': managers,
  // Viewers read metadata (never credentials: no response carries them).
  'connection.read': everyone,
  'connection.create': managers,
  // Members holding a `manage` grant may also update; see canManageConnection.
  'connection.update': managers,
  'connection.delete': managers,
  // Members who may use a connection (grant / default environment) test it too; see canUseConnection.
  'connection.test': managers,
  'connection.testDraft': managers,
  'connection.validate': managers,
  'connection.status': everyone,
  // Members holding a `manage` grant may also reset its pool; see canManageConnection.
  'connection.reset': managers,
  'connection.poolStats': managers,
  // Members who may use a connection browse its schema too; see canUseConnection.
  'connection.schema': managers,
  'access.read': managers,
  'access.grant': managers,
  'access.revoke': managers,
  'token.read': managers,
  'token.create': managers,
  'token.revoke': managers,
  'audit.read': managers,
  // F3: only Owners/Admins view or change environment settings; members use them.
  // Everyone picks an environment by name (choices: no host, database or user).
  'environment.use': everyone,
  'environment.read': managers,
  'environment.manage': managers,
  // Saving a connection that failed (or skipped) its test is the Owner's call alone (F3).
  'environment.saveUntested': ['Owner'],
  // F5: everyone sees the schema status of their workspace's databases; Owners/Admins apply,
  // roll back and dry-run migrations.
  'migration.read': everyone,
  'migration.apply': managers,
  // F7 SQL editor. Everyone reads procedures; the rest is decided per target connection in the
  // handler (canUseConnection: Members with `use` draft and run; canManageConnection: publish,
  // delete). These rows are the role-only answer: Owners/Admins.
  'procedure.read': everyone,
  'procedure.draft': managers,
  'procedure.publish': managers,
  'procedure.execute': managers,
  // Only the principal who started an execution may cancel it (checked in the handler).
  'procedure.cancel': everyone,
  'procedure.delete': managers,
  // Query console. Everyone sees saved queries and their own history; running (and exporting) is
  // decided per connection in the handler (canUseConnection, within the connection's console
  // access); these rows are the role-only answer. Only the starter of a run may cancel it.
  'console.read': everyone,
  'console.run': managers,
  'console.cancel': everyone,
  'console.setAccess': managers,
  // Members share queries too; changing or deleting someone else's is for Owners/Admins (handler).
  'console.saveQuery': ['Owner', 'Admin', 'Member'],
  'console.deleteQuery': ['Owner', 'Admin', 'Member'],
  // Import projects (seed 004). Everyone sees projects and import history; editing a project is
  // for Owners/Admins and Members with manage on its connection, importing for Members with use
  // (decided per connection in the handler). Only the starter or an Owner/Admin cancels a run or
  // reads its rejected rows (handler).
  'project.read': everyone,
  'project.manage': managers,
  'import.read': everyone,
  'import.run': managers,
  'import.cancel': everyone,
};

/**
 * Actions an API token may never take whatever its role: minting or revoking tokens needs a person
 * (a leaked token must not be able to mint its own successors); inviting a new person is people
 * administration, which no token may do.
 */
const humanOnly: ReadonlySet<WorkspaceAction> = new Set(['token.create', 'token.revoke', 'member.invite']);

export function can(actor: Actor, action: WorkspaceAction): boolean {
  if (actor.kind === 'token' && humanOnly.has(action)) return false;
  return rolesByAction[action].includes(actor.role);
}

/** Every workspace action, in the table's order (for maps of what someone may do). */
export const workspaceActions = Object.keys(rolesByAction) as WorkspaceAction[];

/** The roles the table lets take `action` (before grants). */
export function rolesAllowed(action: WorkspaceAction): readonly WorkspaceRole[] {
  return rolesByAction[action];
}

export function isHumanOnly(action: string): boolean {
  return humanOnly.has(action as WorkspaceAction);
}

const rank: Record<WorkspaceRole, number> = { Owner: 3, Admin: 2, Member: 1, Viewer: 0 };

/** The lesser of two roles (a token never acts above the person who made it). */
export function lowerRole(a: WorkspaceRole, b: WorkspaceRole): WorkspaceRole {
  return rank[a] <= rank[b] ? a : b;
}

/**
 * Whether `actor` may give someone `role` (membership or token scope) or change/remove someone who
 * holds `currentRole`: Owners may do anything; Admins may not create, promote to, demote or remove Owners.
 */
export function canAssignRole(actorRole: WorkspaceRole, role: WorkspaceRole, currentRole?: WorkspaceRole): boolean {
  if (actorRole === 'Owner') return true;
  if (actorRole !== 'Admin') return false;
  if (rank[role] > rank.Admin) return false;
  return currentRole === undefined || rank[currentRole] <= rank.Admin;
}

export interface ConnectionUseFacts {
  /** The user's grant on this connection, if any. */
  grant: ConnectionAccessLevel | undefined;
  /** The connection is the one the workspace's default environment points at. */
  isDefaultEnvironmentConnection: boolean;
}

/** Run procedures / tests through this connection (F6). */
export function canUseConnection(actor: Actor, facts: ConnectionUseFacts): boolean {
  if (managers.includes(actor.role)) return true;
  if (actor.role !== 'Member') return false;
  return facts.grant !== undefined || facts.isDefaultEnvironmentConnection;
}

/** Edit this connection: Owners/Admins, or a Member holding a `manage` grant. */
export function canManageConnection(actor: Actor, grant: ConnectionAccessLevel | undefined): boolean {
  if (managers.includes(actor.role)) return true;
  return actor.kind === 'user' && actor.role === 'Member' && grant === 'manage';
}

/** Actions decided per connection: the role table, then the caller's grant on that connection. */
export type ConnectionScopedAction =
  | 'connection.update'
  | 'connection.reset'
  | 'connection.test'
  | 'connection.schema'
  | 'procedure.draft'
  | 'procedure.execute'
  | 'procedure.publish'
  | 'procedure.delete'
  | 'console.run'
  | 'project.manage'
  | 'import.run';

export const connectionScopedActions: readonly ConnectionScopedAction[] = [
  'connection.update',
  'connection.reset',
  'connection.test',
  'connection.schema',
  'procedure.draft',
  'procedure.execute',
  'procedure.publish',
  'procedure.delete',
  'console.run',
  'project.manage',
  'import.run',
];

/** Changing a connection or what it runs takes `manage`; running and testing take `use`. */
const needsManage: ReadonlySet<ConnectionScopedAction> = new Set(['connection.update', 'connection.reset', 'procedure.publish', 'procedure.delete', 'project.manage']);

export function isConnectionScoped(action: string): action is ConnectionScopedAction {
  return (connectionScopedActions as readonly string[]).includes(action);
}

/** The grant a Member needs for a connection-scoped action. */
export function accessNeeded(action: ConnectionScopedAction): 'use' | 'manage' {
  return needsManage.has(action) ? 'manage' : 'use';
}

export type ConnectionDecision = { allowed: true } | { allowed: false; reason: 'insufficient_role' | 'no_connection_access' | 'manage_grant_required' };

/**
 * Whether `actor` may take `action` on a connection: Owners/Admins by role; Members by their grant
 * (`manage` to change, `use` or the default environment's connection to run); Viewers never.
 * `facts` null: there is no connection to decide on (no default environment).
 */
export function decideOnConnection(actor: Actor, action: ConnectionScopedAction, facts: ConnectionUseFacts | null): ConnectionDecision {
  if (can(actor, action)) return { allowed: true };
  if (actor.role !== 'Member') return { allowed: false, reason: 'insufficient_role' };
  if (facts === null) return { allowed: false, reason: 'no_connection_access' };
  if (needsManage.has(action)) return canManageConnection(actor, facts.grant) ? { allowed: true } : { allowed: false, reason: 'manage_grant_required' };
  return canUseConnection(actor, facts) ? { allowed: true } : { allowed: false, reason: 'no_connection_access' };
}
