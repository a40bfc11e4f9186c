import { describe, expect, it } from 'vitest';
import { appRouter } from '../routers/_app';
import { actionWords, denialSentence, isDeniableAction, type DeniableAction, type DenialReason } from './denials';
import { workspaceActions } from './policy';

const reasons: readonly DenialReason[] = [
  'insufficient_role',
  'no_connection_access',
  'manage_grant_required',
  'role_ceiling',
  'owner_only',
  'session_required',
  'not_system_admin',
  'system_admin_only',
  'not_execution_owner',
  'not_run_owner',
  'not_query_owner',
  'not_a_member',
  'token_scope',
  'no_policy',
  'console_off',
  'read_only_connection',
  'password_change_required',
];

describe('the table of action names', () => {
  it('has words for every workspace action of the policy', () => {
    for (const action of workspaceActions) expect(actionWords[action]?.doing, action).toMatch(/^[A-Z][a-z]/);
  });

  it('has words for every action a procedure names', () => {
    // Every procedure's `meta.action` is what a refusal of it is about. At run time tRPC keeps the
    // procedures flat by path; its type is the nested router shape.
    const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { action?: string } } }>);
    const named = procedures.map(([path, procedure]) => [path, procedure._def.meta?.action] as const).filter(([, action]) => action !== undefined);
    expect(named.length).toBeGreaterThan(60);
    for (const [path, action] of named) expect(isDeniableAction(action!), `${path} names ${action}`).toBe(true);
  });

  it('writes every sentence for people: no action names, no "not allowed to"', () => {
    for (const action of Object.keys(actionWords) as DeniableAction[]) {
      for (const reason of reasons) {
        const sentence = denialSentence(action, reason, { connectionName: 'Demo SQL Server' });
        expect(sentence, `${action} / ${reason}`).toMatch(/^[A-Z]/);
        expect(sentence, `${action} / ${reason}`).not.toMatch(/[a-z]+\.[a-z]+|not allowed to|undefined|_/i);
      }
    }
  });

  it('says what is needed and whom to ask', () => {
    expect(denialSentence('procedure.publish', 'manage_grant_required', { connectionName: 'Demo SQL Server' })).toBe('Publishing needs manage access to Demo SQL Server; ask an Owner or Admin');
    expect(denialSentence('procedure.publish', 'insufficient_role')).toBe(
      'Publishing needs the Owner or Admin role, or Member with manage access to the connection; ask an Owner or Admin of this workspace',
    );
    expect(denialSentence('console.saveQuery', 'insufficient_role')).toBe('Saving queries needs the Owner, Admin or Member role; ask an Owner or Admin of this workspace');
    expect(denialSentence('environment.saveUntested', 'owner_only')).toBe('Saving an environment without a passing connection test needs the Owner role; ask an Owner of this workspace');
    expect(denialSentence('token.create', 'insufficient_role', { actorKind: 'token' })).toBe('Creating API tokens needs a signed-in person, not an API token');
    expect(denialSentence('token.create', 'role_ceiling', { role: 'Owner' })).toBe('Creating API tokens: only an Owner may give or take the Owner role; ask an Owner of this workspace');
    expect(denialSentence('member.invite', 'not_system_admin')).toBe('Inviting someone new needs a system Admin; ask an Admin to invite them, then add them here');
    expect(denialSentence('console.run', 'read_only_connection', { connectionName: 'Reporting' })).toBe(
      'Running queries in read-write mode needs read-write console access on Reporting; an Owner or Admin sets it under Console access on the console page',
    );
  });
});
