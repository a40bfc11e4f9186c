import { describe, expect, it } from 'vitest';
import { can, canAssignRole, canManageConnection, canUseConnection, workspaceRoles } from './policy';

describe('policy', () => {
  it('lets Owners and Admins manage, everyone in the workspace read connection metadata', () => {
    for (const role of workspaceRoles) {
      const actor = { kind: 'user' as const, role };
      expect(can(actor, 'connection.read')).toBe(true);
      expect(can(actor, 'connection.create')).toBe(role === 'Owner' || role === 'Admin');
      expect(can(actor, 'access.grant')).toBe(role === 'Owner' || role === 'Admin');
      expect(can(actor, 'audit.read')).toBe(role === 'Owner' || role === 'Admin');
    }
  });

  it('lets everyone read workspace migration status and only Owners/Admins apply or roll back', () => {
    for (const role of workspaceRoles) {
      expect(can({ kind: 'user', role }, 'migration.read')).toBe(true);
      expect(can({ kind: 'user', role }, 'migration.apply')).toBe(role === 'Owner' || role === 'Admin');
    }
  });

  it('lets everyone read SQL editor procedures; without a connection grant only Owners/Admins draft, run, publish or delete', () => {
    for (const role of workspaceRoles) {
      const actor = { kind: 'user' as const, role };
      expect(can(actor, 'procedure.read')).toBe(true);
      for (const action of ['procedure.draft', 'procedure.execute', 'procedure.publish', 'procedure.delete'] as const) {
        expect(can(actor, action)).toBe(role === 'Owner' || role === 'Admin');
      }
    }
  });

  it('never lets a token mint or revoke tokens or invite people, whatever its role', () => {
    expect(can({ kind: 'token', role: 'Owner' }, 'token.create')).toBe(false);
    expect(can({ kind: 'token', role: 'Owner' }, 'token.revoke')).toBe(false);
    // Inviting a new person is people administration: never a token's.
    expect(can({ kind: 'token', role: 'Owner' }, 'member.invite')).toBe(false);
    expect(can({ kind: 'user', role: 'Owner' }, 'member.invite')).toBe(true);
    expect(can({ kind: 'user', role: 'Member' }, 'member.invite')).toBe(false);
    expect(can({ kind: 'token', role: 'Owner' }, 'connection.create')).toBe(true);
  });

  it('caps what an Admin can hand out', () => {
    expect(canAssignRole('Owner', 'Owner')).toBe(true);
    expect(canAssignRole('Admin', 'Admin')).toBe(true);
    expect(canAssignRole('Admin', 'Owner')).toBe(false);
    expect(canAssignRole('Admin', 'Member', 'Owner')).toBe(false);
    expect(canAssignRole('Member', 'Viewer')).toBe(false);
  });

  it('lets Members use granted or default-environment connections; Viewers never', () => {
    const member = { kind: 'user' as const, role: 'Member' as const };
    expect(canUseConnection(member, { grant: undefined, isDefaultEnvironmentConnection: false })).toBe(false);
    expect(canUseConnection(member, { grant: 'use', isDefaultEnvironmentConnection: false })).toBe(true);
    expect(canUseConnection(member, { grant: undefined, isDefaultEnvironmentConnection: true })).toBe(true);
    expect(canUseConnection({ kind: 'user', role: 'Viewer' }, { grant: 'manage', isDefaultEnvironmentConnection: true })).toBe(false);
    expect(canManageConnection(member, 'manage')).toBe(true);
    expect(canManageConnection(member, 'use')).toBe(false);
  });
});
