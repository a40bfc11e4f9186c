// Issue 16 item 4: publish and run name their environment; each environment's deployment (hash,
// who, when) is recorded with the publish's audit row and listed against the draft; an
// environment that cannot be reached is named, with its host and the circuit's state.
import { createHash } from 'node:crypto';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { OutboundPolicy } from '../src/services/outbound-policy';
import { beforeConnectOf } from '../src/services/workspace-databases';
import { createPoolManager } from '../src/services/workspace-pools';
import { createHarness, problemOf, useHarness, type Harness } from './support/harness';
import { editorWorkspace, useEditorSqlServer } from './support/sql-editor';
import { startTcpProxy } from './support/tcp-proxy';

const server = useEditorSqlServer(['editor_env_main', 'editor_env_staging']);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe.each(testTargets)('sqlEditor environments on $name', (target) => {
  const h = useHarness(target);
  const suffix = target.name.replace(/\W/g, '');

  it('records a deployment per environment and tells which ones run the current draft', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'editor_env_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    const staging = await owner.environments.create({ workspaceId: ws.id, name: 'Staging', connection: server.params('editor_env_staging'), autoMigrate: false });
    const name = `Deployed_${suffix}`;
    const first = `CREATE PROCEDURE dbo.${name} AS SELECT 1 AS version`;
    const created = await owner.sqlEditor.create({ workspaceId: ws.id, name, sqlDraft: first });
    expect(created.sqlDraftHash).toBe(sha256(first));

    const never = await owner.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id });
    expect(never.environments.map((e) => [e.environmentName, e.isDefault, e.deployment, e.canRun, e.canPublish])).toEqual([
      ['Production', true, null, true, true],
      ['Staging', false, null, true, true],
    ]);

    const toProduction = await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    expect(toProduction.environment).toEqual({ id: editor.environmentId, name: 'Production', isDefault: true });
    const toStaging = await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id });
    expect(toStaging.environment).toEqual({ id: staging.environment.id, name: 'Staging', isDefault: false });

    const both = await owner.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id });
    for (const environment of both.environments) {
      expect(environment.deployment).toMatchObject({ sqlHash: sha256(first), deployedBy: { id: editor.owner.id, username: editor.owner.username }, matchesDraft: true });
      expect(environment.deployment?.deployedAt).toBeInstanceOf(Date);
    }

    // A new draft, published to Staging only: Production still runs the first text.
    const second = `CREATE PROCEDURE dbo.${name} AS SELECT 2 AS version`;
    const saved = await owner.sqlEditor.saveDraft({ workspaceId: ws.id, procedureId: created.id, sqlDraft: second, expectedUpdatedAt: created.updatedAt });
    expect(saved.sqlDraftHash).toBe(sha256(second));
    const drifted = await owner.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id });
    expect(drifted.environments.map((e) => e.deployment?.matchesDraft)).toEqual([false, false]);
    await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id });
    const split = await owner.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id });
    expect(split.sqlDraftHash).toBe(sha256(second));
    expect(split.environments.map((e) => [e.environmentName, e.deployment?.sqlHash, e.deployment?.matchesDraft])).toEqual([
      ['Production', sha256(first), false],
      ['Staging', sha256(second), true],
    ]);

    // Each environment runs its own text; the run says where it ran.
    const onProduction = await owner.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id });
    expect(onProduction).toMatchObject({ environmentId: editor.environmentId, resultSets: [{ columns: [{ name: 'version' }], rows: [[1]] }] });
    const onStaging = await owner.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id });
    expect(onStaging).toMatchObject({ environmentId: staging.environment.id, resultSets: [{ rows: [[2]] }] });

    // Each successful publish's audit row names the environment and the hash it recorded.
    const audited = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.publish' && row.outcome === 'success').sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(audited.map((row) => [row.details?.environmentId, row.details?.sqlHash])).toEqual([
      [editor.environmentId, sha256(first)],
      [staging.environment.id, sha256(first)],
      [staging.environment.id, sha256(second)],
    ]);
  });

  it('offers a Member the environments they may run on and publish to', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'editor_env_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    const staging = await owner.environments.create({ workspaceId: ws.id, name: 'Staging', connection: server.params('editor_env_staging'), autoMigrate: false });
    const created = await owner.sqlEditor.create({ workspaceId: ws.id, name: `Offered_${suffix}` });
    const member = await editor.member('Member');
    const manager = await editor.member('Member');
    const viewer = await editor.member('Viewer');
    await owner.access.grant({ workspaceId: ws.id, connectionId: staging.environment.connectionId!, userId: manager.user.id, level: 'manage' });

    const offered = async (caller: typeof owner) =>
      (await caller.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id })).environments.map((e) => [e.environmentName, e.canRun, e.canPublish]);
    expect(await offered(member.caller)).toEqual([
      ['Production', true, false],
      ['Staging', false, false],
    ]);
    expect(await offered(manager.caller)).toEqual([
      ['Production', true, false],
      ['Staging', true, true],
    ]);
    expect(await offered(viewer.caller)).toEqual([
      ['Production', false, false],
      ['Staging', false, false],
    ]);
    // Each environment carries the sentence the editor shows beside a disabled Publish or Run.
    const managerView = (await manager.caller.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id })).environments;
    expect(managerView.map((e) => [e.environmentName, e.can.publish.allowed, e.can.execute.allowed])).toEqual([
      ['Production', false, true],
      ['Staging', true, true],
    ]);
    const refusedHere = managerView[0]!.can.publish;
    expect(refusedHere.allowed ? null : refusedHere.reason).toMatch(/^Publishing .*needs manage access to .*; ask an Owner or Admin/);
    // What the list offers is what the calls allow, with the same sentence.
    const refused = await problemOf(member.caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id }));
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    const memberStaging = (await member.caller.sqlEditor.deployments({ workspaceId: ws.id, procedureId: created.id })).environments[1]!.can.publish;
    expect(memberStaging.allowed ? null : memberStaging.reason).toBe(refused.message);
    const published = await manager.caller.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id });
    expect(published.environment.name).toBe('Staging');
  });

});

// The pool manager of this block retries at once and keeps an open circuit for a minute, so the
// circuit's state does not depend on how fast the machine runs the calls.
const loopbackOnly = new OutboundPolicy({ allowLoopback: true, allow: [], deny: [] }, async () => ['127.0.0.1']);

describe.each(testTargets)('sqlEditor unreachable environment on $name', (target) => {
  let h: Harness;
  const suffix = target.name.replace(/\W/g, '');
  beforeAll(async () => {
    h = await createHarness(target, { pools: createPoolManager(createLogger('silent'), { beforeConnect: beforeConnectOf(loopbackOnly), failureThreshold: 3, retryBaseDelayMs: 1, retryMaxDelayMs: 5, circuitProbeDelayMs: 60_000, circuitResetMs: 120_000 }) });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('names the environment and host it cannot reach, and the open circuit with its retry time', { timeout: 120_000 }, async () => {
    const editor = await editorWorkspace(h, server, 'editor_env_main');
    const { ws } = editor;
    const owner = h.caller(editor.owner.principal);
    const proxy = await startTcpProxy(server.emulator.port);
    const staging = await owner.environments.create({
      workspaceId: ws.id,
      name: 'Staging',
      connection: { ...server.params('editor_env_staging'), port: proxy.port },
      autoMigrate: false,
    });
    const created = await owner.sqlEditor.create({ workspaceId: ws.id, name: `Unreachable_${suffix}`, sqlDraft: `CREATE PROCEDURE dbo.Unreachable_${suffix} AS SELECT 1 AS one` });
    await owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id });
    // The server behind Staging goes away: nothing listens on its port any more.
    await proxy.close();

    const refused = await problemOf(owner.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id }));
    expect(refused).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      error: 'connection_operation_failed',
      message: 'Staging (127.0.0.1) is unavailable: connection refused; retry in 2 s',
      details: { reason: 'connection_refused', state: 'unreachable', environmentId: staging.environment.id, environmentName: 'Staging', host: '127.0.0.1', port: proxy.port, retryAfterSeconds: 2 },
    });

    // Each failed call (after the pool's own retries) counts once; at the third (this pool's threshold) the circuit opens,
    // and the calls after it fail fast and say so.
    for (let call = 2; call <= 3; call++) {
      const again = await problemOf(owner.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id }));
      expect(again.message).toBe('Staging (127.0.0.1) is unavailable: connection refused; retry in 2 s');
    }
    const open = await problemOf(owner.sqlEditor.publish({ workspaceId: ws.id, procedureId: created.id, environmentId: staging.environment.id }));
    expect(open.code).toBe('SERVICE_UNAVAILABLE');
    expect(open.message).toMatch(/^Staging \(127\.0\.0\.1\) is unavailable: circuit open after 3 failures; retry in \d+ s$/);
    expect(open.details).toMatchObject({ state: 'circuit_open', failures: 3, environmentName: 'Staging', host: '127.0.0.1' });
    expect(open.message).toContain(`retry in ${String(open.details.retryAfterSeconds)} s`);
    const failed = (await h.auditRows(ws.id)).filter((row) => row.action === 'procedure.publish' && row.outcome === 'failure');
    expect(failed.map((row) => row.details?.environmentId)).toEqual([staging.environment.id]);

    // The default environment is unaffected.
    expect(await owner.sqlEditor.execute({ workspaceId: ws.id, procedureId: created.id })).toMatchObject({ status: 'completed', environmentId: editor.environmentId });
  });
});
