// F6 × F7: everyone reads procedures; Members draft and run on a connection they may use (a grant,
// or the default environment's connection); publishing and deleting need a `manage` grant or
// Owner/Admin; Viewers only read. Every refusal is FORBIDDEN and audited.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';

const server = useEditorSqlServer(['editor_perm_main', 'editor_perm_other']);

type Outcome = 'ok' | 'FORBIDDEN';

describe.each(testTargets)('sqlEditor authorisation matrix on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  it('applies role × grant × operation, auditing each denial', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'editor_perm_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    // A second, non-default environment on another connection.
    const other = await owner.environments.create({ workspaceId: ws.id, name: 'Reporting', connection: server.params('editor_perm_other'), autoMigrate: false });
    const otherEnvironmentId = other.environment.id;
    const otherConnectionId = other.environment.connectionId!;

    const admin = await editor.member('Admin');
    const member = await editor.member('Member');
    const manager = await editor.member('Member');
    const viewer = await editor.member('Viewer');
    await owner.access.grant({ workspaceId: ws.id, connectionId: editor.connectionId, userId: manager.user.id, level: 'manage' });
    await owner.access.grant({ workspaceId: ws.id, connectionId: otherConnectionId, userId: manager.user.id, level: 'use' });

    const base = await owner.sqlEditor.create({ workspaceId: ws.id, name: `Matrix_${suffix}`, sqlDraft: `CREATE PROCEDURE dbo.Matrix_${suffix} AS SELECT 7 AS seven` });
    await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: base.id });
    await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: base.id, environmentId: otherEnvironmentId });

    const actors = { Owner: owner, Admin: admin.caller, Member: member.caller, 'Member+manage': manager.caller, Viewer: viewer.caller };
    type Actor = keyof typeof actors;
    let n = 0;
    const operations: Record<string, (caller: ReturnType<typeof h.caller>) => Promise<unknown>> = {
      list: (c) => c.sqlEditor.list({ workspaceId: ws.id }),
      get: (c) => c.sqlEditor.get({ workspaceId: ws.id, procedureId: base.id }),
      diff: (c) => c.sqlEditor.diff({ workspaceId: ws.id, procedureId: base.id }),
      create: (c) => c.sqlEditor.create({ workspaceId: ws.id, name: `New_${suffix}_${n++}` }),
      saveDraft: async (c) => {
        const current = await c.sqlEditor.get({ workspaceId: ws.id, procedureId: base.id });
        return c.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: base.id, sqlDraft: current.sqlDraft, expectedUpdatedAt: current.updatedAt });
      },
      execute: (c) => c.sqlEditor.execute({ workspaceId: ws.id, procedureId: base.id }),
      'execute on Reporting': (c) => c.sqlEditor.execute({ workspaceId: ws.id, procedureId: base.id, environmentId: otherEnvironmentId }),
      parameters: (c) => c.sqlEditor.parameters({ workspaceId: ws.id, procedureId: base.id }),
      publish: (c) => c.sqlEditor.publish({ workspaceId: ws.id, procedureId: base.id }),
      'publish to Reporting': (c) => c.sqlEditor.publish({ workspaceId: ws.id, procedureId: base.id, environmentId: otherEnvironmentId }),
      delete: async (c) => {
        const scratch = await owner.sqlEditor.create({ workspaceId: ws.id, name: `Scratch_${suffix}_${n++}` });
        return c.sqlEditor.delete({ workspaceId: ws.id, procedureId: scratch.id });
      },
    };
    const expected: Record<string, Record<Actor, Outcome>> = {
      list: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'ok' },
      get: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'ok' },
      diff: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'ok' },
      create: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      saveDraft: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      execute: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      'execute on Reporting': { Owner: 'ok', Admin: 'ok', Member: 'FORBIDDEN', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      parameters: { Owner: 'ok', Admin: 'ok', Member: 'ok', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      publish: { Owner: 'ok', Admin: 'ok', Member: 'FORBIDDEN', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
      'publish to Reporting': { Owner: 'ok', Admin: 'ok', Member: 'FORBIDDEN', 'Member+manage': 'FORBIDDEN', Viewer: 'FORBIDDEN' },
      delete: { Owner: 'ok', Admin: 'ok', Member: 'FORBIDDEN', 'Member+manage': 'ok', Viewer: 'FORBIDDEN' },
    };

    const actual: Record<string, Record<string, Outcome>> = {};
    let denials = 0;
    for (const [operation, run] of Object.entries(operations)) {
      actual[operation] = {};
      for (const [actor, caller] of Object.entries(actors)) {
        try {
          await run(caller);
          actual[operation]![actor] = 'ok';
        } catch (error) {
          const problem = await problemOf(Promise.reject(error));
          if (problem.code !== 'FORBIDDEN') throw error;
          expect(problem.error).toBe('forbidden');
          actual[operation]![actor] = 'FORBIDDEN';
          denials++;
        }
      }
    }
    expect(actual).toEqual(expected);

    const denied = (await h.auditRows(ws.id)).filter((row) => row.outcome === 'denied' && row.action.startsWith('procedure.'));
    expect(denied).toHaveLength(denials);
    expect(new Set(denied.map((row) => row.action))).toEqual(new Set(['procedure.draft', 'procedure.execute', 'procedure.publish', 'procedure.delete']));

    // An API token acts with its scope role: a Viewer token reads, never runs.
    const viewerToken = await h.token(ws.id, 'Viewer');
    const tokenCaller = h.caller(viewerToken.principal);
    expect((await tokenCaller.sqlEditor.get({ workspaceId: ws.id, procedureId: base.id })).id).toBe(base.id);
    expect(await problemOf(tokenCaller.sqlEditor.execute({ workspaceId: ws.id, procedureId: base.id }))).toMatchObject({ code: 'FORBIDDEN' });

    // Outsiders see nothing.
    const stranger = await h.user('stranger');
    expect(await problemOf(h.caller(stranger.principal).sqlEditor.list({ workspaceId: ws.id }))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('leaves Members reading only while the workspace has no default environment', async () => {
    const ownerUser = await h.user('owner');
    const ws = await h.workspace(ownerUser);
    const memberUser = await h.user('member');
    await h.member(ws.id, memberUser, 'Member');
    const owner = h.caller(ownerUser.principal);
    const created = await owner.sqlEditor.create({ workspaceId: ws.id, name: 'NoServer' });
    const member = h.caller(memberUser.principal);
    expect(await problemOf(member.sqlEditor.create({ workspaceId: ws.id, name: 'Mine' }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'no_connection_access' } });
    expect((await member.sqlEditor.get({ workspaceId: ws.id, procedureId: created.id })).id).toBe(created.id);
    expect(await problemOf(owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id }))).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'no_default_environment' } });
  });
});
