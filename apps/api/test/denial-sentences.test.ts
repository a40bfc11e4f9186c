// Refusals read as sentences for people, from the table of action names, and the maps the UI reads
// (workspaces.get, connections.permissions, sqlEditor.get, console.connection) say the same thing
// the procedures then answer.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['denials_main']);

describe.each(testTargets)('refusals on $name', (target) => {
  const h = useHarness(target);

  it('tells a Member with use access why Publish is refused, and says so before the click', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'denials_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    const connection = await owner.connections.get({ workspaceId: ws.id, connectionId: editor.connectionId });
    const member = await editor.member('Member');
    const procedure = await owner.sqlEditor.create({ workspaceId: ws.id, name: 'Sentences', sqlDraft: 'CREATE PROCEDURE dbo.Sentences AS SELECT 1 AS one' });
    const sentence = `Publishing needs manage access to ${connection.name}; ask an Owner or Admin`;

    const seen = await member.caller.sqlEditor.get({ workspaceId: ws.id, procedureId: procedure.id });
    expect(seen.can.publish).toEqual({ allowed: false, reason: sentence });
    expect(seen.can.delete).toEqual({ allowed: false, reason: `Deleting procedures needs manage access to ${connection.name}; ask an Owner or Admin` });
    // The default environment's connection is one every Member may use: drafting and running are open.
    expect(seen.can.draft).toEqual({ allowed: true, reason: null });
    expect(seen.can.execute).toEqual({ allowed: true, reason: null });

    expect(await problemOf(member.caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: procedure.id }))).toMatchObject({
      code: 'FORBIDDEN',
      message: sentence,
      details: { action: 'procedure.publish', reason: 'manage_grant_required' },
    });

    await owner.access.grant({ workspaceId: ws.id, connectionId: editor.connectionId, userId: member.user.id, level: 'manage' });
    expect((await member.caller.sqlEditor.get({ workspaceId: ws.id, procedureId: procedure.id })).can.publish).toEqual({ allowed: true, reason: null });
    expect((await owner.sqlEditor.get({ workspaceId: ws.id, procedureId: procedure.id })).can.publish).toEqual({ allowed: true, reason: null });
  });

  it('answers the same sentence in the maps and in the refusals, for roles, grants and tokens', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'denials_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    const viewer = await editor.member('Viewer');
    const member = await editor.member('Member');

    const viewerCan = (await viewer.caller.workspaces.get({ workspaceId: ws.id })).can;
    const adding = 'Adding connections needs the Owner or Admin role; ask an Owner or Admin of this workspace';
    expect(viewerCan['connection.create']).toEqual({ allowed: false, reason: adding });
    expect(viewerCan['procedure.read']).toEqual({ allowed: true, reason: null });
    expect(await problemOf(viewer.caller.connections.create({ workspaceId: ws.id, name: 'Nope', type: 'mssql', host: '127.0.0.1', port: 1433, database: 'x', user: 'u', password: 'p' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: adding,
      details: { action: 'connection.create', reason: 'insufficient_role' },
    });
    expect((await owner.workspaces.get({ workspaceId: ws.id })).can['connection.create']).toEqual({ allowed: true, reason: null });

    // A second connection the Member has no grant on: testing it needs use access, editing needs manage.
    const other = await owner.connections.create({ workspaceId: ws.id, name: 'Reporting', type: 'mssql', ...server.params('denials_main') });
    const memberOnOther = await member.caller.connections.permissions({ workspaceId: ws.id, connectionId: other.id });
    expect(memberOnOther.can['connection.test']).toEqual({ allowed: false, reason: 'Testing a connection needs use access to Reporting; ask an Owner or Admin' });
    expect(memberOnOther.can['connection.update']).toEqual({ allowed: false, reason: 'Editing a connection needs manage access to Reporting; ask an Owner or Admin' });
    expect(await problemOf(member.caller.connections.test({ workspaceId: ws.id, connectionId: other.id }))).toMatchObject({
      code: 'FORBIDDEN',
      message: 'Testing a connection needs use access to Reporting; ask an Owner or Admin',
      details: { action: 'connection.test', reason: 'no_connection_access' },
    });
    await owner.access.grant({ workspaceId: ws.id, connectionId: other.id, userId: member.user.id, level: 'use' });
    const granted = await member.caller.connections.permissions({ workspaceId: ws.id, connectionId: other.id });
    expect(granted.can['connection.test']).toEqual({ allowed: true, reason: null });
    expect(granted.can['connection.reset']).toEqual({ allowed: false, reason: 'Resetting a connection pool needs manage access to Reporting; ask an Owner or Admin' });

    // With the console off, nothing runs; read-only (the default) opens reading and not writing.
    await owner.console.setAccess({ workspaceId: ws.id, connectionId: other.id, access: 'off' });
    const consoleOff = await member.caller.console.connection({ workspaceId: ws.id, connectionId: other.id });
    expect(consoleOff.can['read-only']).toEqual({ allowed: false, reason: 'Running queries needs the console turned on for Reporting; an Owner or Admin turns it on under Console access on the console page' });
    await owner.console.setAccess({ workspaceId: ws.id, connectionId: other.id, access: 'read-only' });
    const readOnly = await member.caller.console.connection({ workspaceId: ws.id, connectionId: other.id });
    expect(readOnly.can['read-only']).toEqual({ allowed: true, reason: null });
    const readWrite = 'Running queries in read-write mode needs read-write console access on Reporting; an Owner or Admin sets it under Console access on the console page';
    expect(readOnly.can['read-write']).toEqual({ allowed: false, reason: readWrite });
    expect(await problemOf(member.caller.console.run({ workspaceId: ws.id, connectionId: other.id, sql: 'SELECT 1', mode: 'read-write' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: readWrite,
      details: { action: 'console.run', reason: 'read_only_connection', field: 'mode' },
    });

    const token = await h.token(ws.id, 'Owner');
    expect((await h.caller(token.principal).workspaces.get({ workspaceId: ws.id })).can['token.create']).toEqual({
      allowed: false,
      reason: 'Creating API tokens needs a signed-in person, not an API token',
    });
    expect(await problemOf(h.caller(token.principal).tokens.create({ workspaceId: ws.id, name: 'heir', role: 'Viewer' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: 'Creating API tokens needs a signed-in person, not an API token',
      details: { action: 'token.create' },
    });
  });
});
