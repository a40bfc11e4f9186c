import { relations } from 'drizzle-orm';
import { apiTokens } from './api-tokens';
import { auditLog } from './audit';
import { roles, sessions, users } from './auth';
import { connectionAccess, connections } from './connections';
import { environments } from './environments';
import { projects } from './projects';
import { storedProcedures } from './stored-procedures';
import { workspaceMembers, workspaces } from './workspaces';

// Relations only feed drizzle's `db.query.*` API; they create no SQL.

export const rolesRelations = relations(roles, ({ many }) => ({ users: many(users) }));

export const usersRelations = relations(users, ({ one, many }) => ({
  role: one(roles, { fields: [users.roleId], references: [roles.id] }),
  sessions: many(sessions),
  memberships: many(workspaceMembers),
  connectionAccess: many(connectionAccess, { relationName: 'grantee' }),
}));

export const sessionsRelations = relations(sessions, ({ one }) => ({
  user: one(users, { fields: [sessions.userId], references: [users.id] }),
}));

export const workspacesRelations = relations(workspaces, ({ one, many }) => ({
  creator: one(users, { fields: [workspaces.createdBy], references: [users.id] }),
  members: many(workspaceMembers),
  connections: many(connections),
  environments: many(environments),
  storedProcedures: many(storedProcedures),
  apiTokens: many(apiTokens),
  projects: many(projects),
}));

export const workspaceMembersRelations = relations(workspaceMembers, ({ one }) => ({
  workspace: one(workspaces, { fields: [workspaceMembers.workspaceId], references: [workspaces.id] }),
  user: one(users, { fields: [workspaceMembers.userId], references: [users.id] }),
}));

export const connectionsRelations = relations(connections, ({ one, many }) => ({
  workspace: one(workspaces, { fields: [connections.workspaceId], references: [workspaces.id] }),
  access: many(connectionAccess),
  environments: many(environments),
  projects: many(projects),
}));

export const connectionAccessRelations = relations(connectionAccess, ({ one }) => ({
  connection: one(connections, { fields: [connectionAccess.connectionId], references: [connections.id] }),
  user: one(users, { fields: [connectionAccess.userId], references: [users.id], relationName: 'grantee' }),
}));

export const environmentsRelations = relations(environments, ({ one }) => ({
  workspace: one(workspaces, { fields: [environments.workspaceId], references: [workspaces.id] }),
  connection: one(connections, { fields: [environments.connectionId], references: [connections.id] }),
}));

export const storedProceduresRelations = relations(storedProcedures, ({ one }) => ({
  workspace: one(workspaces, { fields: [storedProcedures.workspaceId], references: [workspaces.id] }),
  creator: one(users, { fields: [storedProcedures.createdBy], references: [users.id] }),
}));

export const apiTokensRelations = relations(apiTokens, ({ one }) => ({
  workspace: one(workspaces, { fields: [apiTokens.workspaceId], references: [workspaces.id] }),
}));

export const projectsRelations = relations(projects, ({ one }) => ({
  workspace: one(workspaces, { fields: [projects.workspaceId], references: [workspaces.id] }),
  connection: one(connections, { fields: [projects.connectionId], references: [connections.id] }),
}));

export const auditLogRelations = relations(auditLog, ({ one }) => ({
  actor: one(users, { fields: [auditLog.actorUserId], references: [users.id] }),
  token: one(apiTokens, { fields: [auditLog.actorTokenId], references: [apiTokens.id] }),
}));
