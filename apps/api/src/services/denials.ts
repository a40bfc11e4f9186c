// Every refusal, in words people read: one table of action names (what the action is, said as
// "Publishing", "Adding members") and one place that turns an action and a reason into the sentence
// a 403 carries and the UI shows next to a disabled control. Nothing else writes a refusal.
import type { WorkspaceRole } from '@studio/db/schema';
import { ForbiddenError } from './errors';
import { accessNeeded, isConnectionScoped, isHumanOnly, rolesAllowed, type PrincipalKind, type WorkspaceAction } from './policy';

/** Refusals outside one workspace's role table (system administration, every-workspace operations). */
export type SystemAction =
  | 'workspace.create'
  | 'migration.applyAll'
  | 'people.manage'
  | 'backup.manage'
  | 'audit.readSystem'
  | 'account.manage'
  | 'session.manage';

export type DeniableAction = WorkspaceAction | SystemAction;

export type DenialReason =
  | 'insufficient_role'
  | 'no_connection_access'
  | 'manage_grant_required'
  | 'role_ceiling'
  | 'owner_only'
  | 'session_required'
  | 'not_system_admin'
  | 'system_admin_only'
  | 'not_execution_owner'
  | 'not_run_owner'
  | 'not_query_owner'
  | 'not_a_member'
  | 'token_scope'
  | 'no_policy'
  | 'console_off'
  | 'read_only_connection'
  | 'password_change_required';

/** What the sentence may name: never a secret, only names the caller can already see. */
export interface DenialFacts {
  /** The connection the action needs access to. */
  connectionName?: string | undefined;
  /** The role the action would give, take or touch (role ceilings). */
  role?: WorkspaceRole | undefined;
  /** Who is asking: a token is told it needs a person, not a role. */
  actorKind?: PrincipalKind | undefined;
}

interface ActionWords {
  /** The action as a gerund phrase starting a sentence: "Publishing", "Adding members". */
  doing: string;
  /** Who to ask when only a system Admin may do it, when "ask a system Admin" says too little. */
  askSystemAdmin?: string;
}

/** The one table of action names. The type makes a missing action a compile error; a test checks the words. */
export const actionWords: Record<DeniableAction, ActionWords> = {
  'workspace.read': { doing: 'Opening this workspace' },
  'workspace.create': { doing: 'Creating workspaces' },
  'member.read': { doing: 'Seeing the members' },
  'member.add': { doing: 'Adding members' },
  'member.invite': { doing: 'Inviting someone new', askSystemAdmin: 'ask an Admin to invite them, then add them here' },
  'member.setRole': { doing: "Changing members' roles" },
  'member.remove': { doing: 'Removing members' },
  'connection.read': { doing: 'Seeing connections' },
  'connection.create': { doing: 'Adding connections' },
  'connection.update': { doing: 'Editing a connection' },
  'connection.delete': { doing: 'Deleting connections' },
  'connection.test': { doing: 'Testing a connection' },
  'connection.testDraft': { doing: 'Testing connection settings' },
  'connection.validate': { doing: 'Checking connection settings' },
  'connection.status': { doing: 'Seeing connection status' },
  'connection.reset': { doing: 'Resetting a connection pool' },
  'connection.poolStats': { doing: 'Seeing pool statistics' },
  'connection.schema': { doing: "Browsing a connection's schema" },
  'access.read': { doing: 'Seeing who has access to connections' },
  'access.grant': { doing: 'Granting access to connections' },
  'access.revoke': { doing: 'Revoking access to connections' },
  'token.read': { doing: 'Seeing API tokens' },
  'token.create': { doing: 'Creating API tokens' },
  'token.revoke': { doing: 'Revoking API tokens' },
  'audit.read': { doing: 'Reading the audit log' },
  'audit.readSystem': { doing: 'Reading the system audit log' },
  'environment.use': { doing: 'Choosing an environment' },
  'environment.read': { doing: 'Seeing environment settings' },
  'environment.manage': { doing: 'Changing environments' },
  'environment.saveUntested': { doing: 'Saving an environment without a passing connection test' },
  'migration.read': { doing: 'Seeing schema migrations' },
  'migration.apply': { doing: 'Applying or rolling back migrations' },
  'migration.applyAll': { doing: 'Migrating every workspace' },
  'procedure.read': { doing: 'Reading procedures' },
  'procedure.draft': { doing: 'Editing procedures' },
  'procedure.publish': { doing: 'Publishing' },
  'procedure.execute': { doing: 'Running procedures' },
  'procedure.cancel': { doing: 'Cancelling a procedure run' },
  'procedure.delete': { doing: 'Deleting procedures' },
  'console.read': { doing: 'Opening the query console' },
  'console.run': { doing: 'Running queries' },
  'console.cancel': { doing: 'Cancelling a query' },
  'console.setAccess': { doing: 'Changing console access' },
  'console.saveQuery': { doing: 'Saving queries' },
  'console.deleteQuery': { doing: 'Deleting saved queries' },
  'project.read': { doing: 'Seeing import projects' },
  'project.manage': { doing: 'Changing import projects' },
  'import.read': { doing: 'Seeing imports' },
  'import.run': { doing: 'Importing files' },
  'import.cancel': { doing: 'Cancelling an import' },
  'people.manage': { doing: 'Managing people' },
  'backup.manage': { doing: 'Managing backups' },
  'account.manage': { doing: 'Changing an account' },
  'session.manage': { doing: 'Managing sign-in sessions' },
};

const deniableActions = new Set<string>(Object.keys(actionWords));

export function isDeniableAction(name: string): name is DeniableAction {
  return deniableActions.has(name);
}

/** "Owner", "Owner or Admin", "Owner, Admin or Member". */
function either(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}

/** Who can give the missing role: Admins give any role but Owner. */
function askForRole(roles: readonly WorkspaceRole[]): string {
  return roles.includes('Admin') ? 'ask an Owner or Admin of this workspace' : 'ask an Owner of this workspace';
}

/** The sentence for refusing `action` for `reason`: what is needed, and who can grant it. */
export function denialSentence(action: DeniableAction, reason: DenialReason, facts: DenialFacts = {}): string {
  const words = actionWords[action];
  const doing = words.doing;
  const connection = facts.connectionName ?? 'this connection';
  switch (reason) {
    case 'insufficient_role':
    case 'owner_only': {
      if (facts.actorKind === 'token' && isHumanOnly(action)) return `${doing} needs a signed-in person, not an API token`;
      const roles = isDeniableWorkspaceAction(action) ? rolesAllowed(action) : (['Owner'] as const);
      // Members may take these with a grant on the connection: say so, or the sentence misleads.
      const orGrant = isConnectionScoped(action) ? `, or Member with ${accessNeeded(action)} access to the connection` : '';
      return `${doing} needs the ${either(roles)} role${orGrant}; ${askForRole(roles)}`;
    }
    case 'no_connection_access':
      return facts.connectionName === undefined && (action === 'procedure.draft' || action === 'procedure.execute')
        ? `${doing} needs a default environment you may use; ask an Owner or Admin`
        : `${doing} needs use access to ${connection}; ask an Owner or Admin`;
    case 'manage_grant_required':
      return `${doing} needs manage access to ${connection}; ask an Owner or Admin`;
    case 'role_ceiling':
      return `${doing}: only an Owner may give or take the ${facts.role ?? 'Owner'} role; ask an Owner of this workspace`;
    case 'session_required':
      return `${doing} needs a signed-in person, not an API token`;
    case 'not_system_admin':
    case 'system_admin_only':
      return `${doing} needs a system Admin; ${words.askSystemAdmin ?? 'ask a system Admin'}`;
    case 'not_execution_owner':
    case 'not_run_owner':
      return `${doing} is only for whoever started it`;
    case 'not_query_owner':
      return `${doing} that someone else saved needs the Owner or Admin role; ask whoever saved it, or an Owner or Admin`;
    case 'not_a_member':
      return `${doing} needs membership of this workspace; ask an Owner or Admin of it to add you`;
    case 'token_scope':
      return `${doing} needs a token of this workspace: this API token belongs to another one`;
    case 'no_policy':
      return `${doing} is refused: this operation names no permission`;
    case 'console_off':
      return `${doing} needs the console turned on for ${connection}; an Owner or Admin turns it on under Console access on the console page`;
    case 'read_only_connection':
      return `${doing} in read-write mode needs read-write console access on ${connection}; an Owner or Admin sets it under Console access on the console page`;
    case 'password_change_required':
      return 'Choose a new password before doing anything else';
  }
}

function isDeniableWorkspaceAction(action: DeniableAction): action is WorkspaceAction {
  return !systemActions.has(action);
}

const systemActions: ReadonlySet<DeniableAction> = new Set<SystemAction>([
  'workspace.create',
  'migration.applyAll',
  'people.manage',
  'backup.manage',
  'audit.readSystem',
  'account.manage',
  'session.manage',
]);

/** The 403: the sentence, with `action` and `reason` (and whatever field the caller names) in details. */
export function forbidden(action: DeniableAction, reason: DenialReason, facts: DenialFacts = {}, details: Record<string, unknown> = {}): ForbiddenError {
  return new ForbiddenError(denialSentence(action, reason, facts), { action, reason, ...details });
}

/** What the UI is told about one action: allowed, or why not and who can grant it. */
export type Verdict = { allowed: true; reason: null } | { allowed: false; reason: string };

export const allowed: Verdict = { allowed: true, reason: null };

export function verdictOf(action: DeniableAction, decision: { allowed: true } | { allowed: false; reason: DenialReason }, facts: DenialFacts = {}): Verdict {
  return decision.allowed ? allowed : { allowed: false, reason: denialSentence(action, decision.reason, facts) };
}
