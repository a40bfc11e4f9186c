// The workspace navigation. A page another feature adds (SQL editor, migrations) gets its entry
// here: `to` is relative to /w/:slug, `roles` limits who sees it (the server still decides access).
export type WorkspaceRole = 'Owner' | 'Admin' | 'Member' | 'Viewer';

export interface NavItem {
  to: string;
  label: string;
  /** Omitted: everyone in the workspace. */
  roles?: readonly WorkspaceRole[];
  /** Match only this exact path (the overview), not everything under it. */
  end?: boolean;
}

export interface NavSection {
  label: string;
  items: NavItem[];
}

const managers: readonly WorkspaceRole[] = ['Owner', 'Admin'];

export const workspaceNav: NavSection[] = [
  {
    label: 'Workspace',
    items: [
      { to: '', label: 'Overview', end: true },
      { to: 'connections', label: 'Connections' },
      { to: 'console', label: 'Console' },
      { to: 'sql', label: 'SQL editor' },
      { to: 'projects', label: 'Imports' },
    ],
  },
  {
    label: 'Settings',
    items: [
      { to: 'settings/environments', label: 'Environments' },
      { to: 'settings/migrations', label: 'Migrations' },
      { to: 'settings/access', label: 'Access', roles: managers },
      { to: 'settings/audit', label: 'Audit log', roles: managers },
      { to: 'settings/tokens', label: 'API tokens', roles: managers },
    ],
  },
];

export function navFor(role: WorkspaceRole): NavSection[] {
  return workspaceNav
    .map((section) => ({ ...section, items: section.items.filter((item) => !item.roles || item.roles.includes(role)) }))
    .filter((section) => section.items.length > 0);
}

export function canManageWorkspace(role: WorkspaceRole): boolean {
  return managers.includes(role);
}
