// What happens around the rows: every refusal before a row is written (and that a refusal leaves no
// run), who may import, cancel mid-run, one running import per table, a restart mid-run (graceful:
// the run is marked interrupted; a crash: the next start-up marks it), history and audit.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { importRuns } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { ImportService, type ImportUpload } from '../src/services/imports/service';
import { problemOf, useHarness, type Harness, type UserFixture } from './support/harness';
import { eventually, importWorkspace, requireImportBackendsInCi, slowUpload, uploadOf, useImportBackends } from './support/imports';

const { backends, missing } = useImportBackends();
requireImportBackendsInCi(missing);
const postgres = backends.find((backend) => backend.name === 'postgres');

function start(h: Harness, who: UserFixture, input: { workspaceId: string; projectId: string; table?: string; mode?: 'insert' | 'upsert' | 'replace'; errorPolicy?: 'all-or-nothing' | 'skip' }, upload?: ImportUpload) {
  const { caller, ctx } = h.callerWithContext(who.principal);
  if (upload) ctx.upload = upload;
  return caller.imports.start(input);
}

describe.runIf(postgres)('import lifecycle on postgres', () => {
  const backend = postgres!;
  const h = useHarness(testTargets[0]!);

  async function setup() {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `p-${table}`, connectionId });
    return { ws, owner, table, connectionId, projectId: project.id };
  }

  it('refuses before any row is written, in the F10 shape naming what is missing; a refusal leaves no run', async () => {
    const { ws, owner, table, projectId } = await setup();
    const api = h.caller(owner.principal);
    const ok = () => uploadOf('id,name\n1,a\n');
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId: randomUUID(), table }, ok()))).toMatchObject({ code: 'NOT_FOUND', error: 'project_not_found', details: { field: 'projectId' } });
    const bare = await api.projects.create({ workspaceId: ws.id, name: 'no-connection' });
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId: bare.id, table }, ok()))).toMatchObject({ code: 'PRECONDITION_FAILED', error: 'project_connection_missing', details: { field: 'projectId' } });
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table: `${table}_nope` }, ok()))).toMatchObject({ code: 'BAD_REQUEST', error: 'table_not_found', details: { field: 'table', table: `${table}_nope` } });
    const mapping = await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('id,nickname,colour\n1,a,red\n')));
    expect(mapping).toMatchObject({ code: 'BAD_REQUEST', error: 'column_mapping_invalid', details: { field: 'file', unknownColumns: ['nickname', 'colour'], missingColumns: ['name'] } });
    expect(mapping.message).toContain('nickname, colour');
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId }, ok()))).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'table' } });
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }))).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'file' } });
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('')))).toMatchObject({ code: 'BAD_REQUEST', error: 'file_unreadable', details: { field: 'file' } });
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf(Buffer.from([0x69, 0x64, 0xff, 0xfe, 0x0a]))))).toMatchObject({ error: 'file_unreadable', message: expect.stringContaining('not valid utf-8') });

    // The connection vanishing between the project check and the start (deleted meanwhile).
    const project = await h.services.projects.get(ws.id, projectId);
    const vanished = h.services.imports.start({ workspaceId: ws.id, project: { ...project, connectionId: randomUUID() }, table, mode: 'insert', errorPolicy: 'all-or-nothing', maxRejects: 10, upload: ok(), startedBy: { userId: owner.id, name: owner.username }, actor: null, requestMeta: { ip: null, userAgent: null } });
    await expect(vanished).rejects.toMatchObject({ code: 'connection_not_found', details: { field: 'projectId' } });

    expect((await api.imports.list({ workspaceId: ws.id, projectId })).items).toEqual([]);
    expect(await backend.people(table)).toEqual([]);
    const refused = (await h.auditRows(ws.id)).filter((row) => row.action === 'import.start' && row.outcome === 'failure').map((row) => (row.details as { error: string }).error);
    expect(refused).toEqual(expect.arrayContaining(['project_not_found', 'project_connection_missing', 'table_not_found', 'column_mapping_invalid', 'file_unreadable']));
  });

  it('refuses a new import with project_connection_missing once the connection was deleted', async () => {
    const { ws, owner, table, connectionId, projectId } = await setup();
    expect((await h.services.imports.settled((await start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('id,name\n1,a\n'))).id), await backend.people(table)).length).toBe(1);
    await h.caller(owner.principal).connections.delete({ workspaceId: ws.id, connectionId });
    expect((await h.caller(owner.principal).projects.get({ workspaceId: ws.id, projectId })).connectionId).toBeNull();
    expect(await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('id,name\n2,b\n')))).toMatchObject({ error: 'project_connection_missing' });
    // The history keeps the earlier run.
    expect((await h.caller(owner.principal).imports.list({ workspaceId: ws.id, projectId })).items).toEqual([expect.objectContaining({ outcome: 'succeeded', connectionId })]);
  });

  it('lets use holders import; others are refused; rejects are for the starter and Owners/Admins', async () => {
    const { ws, owner, table, connectionId, projectId } = await setup();
    const user = await h.user('user');
    const other = await h.user('other');
    const viewer = await h.user('viewer');
    await h.member(ws.id, user, 'Member');
    await h.member(ws.id, other, 'Member');
    await h.member(ws.id, viewer, 'Viewer');
    await h.caller(owner.principal).access.grant({ workspaceId: ws.id, connectionId, userId: user.id, level: 'use' });
    const run = await start(h, user, { workspaceId: ws.id, projectId, table, errorPolicy: 'skip' }, uploadOf('id,name\n1,a\nx,b\n'));
    await h.services.imports.settled(run.id);
    for (const refused of [other, viewer]) {
      expect(await problemOf(start(h, refused, { workspaceId: ws.id, projectId, table }, uploadOf('id,name\n2,b\n')))).toMatchObject({ code: 'FORBIDDEN', details: { action: 'import.run' } });
      expect((await h.caller(refused.principal).imports.get({ workspaceId: ws.id, projectId, importId: run.id })).outcome).toBe('succeeded');
    }
    expect(await problemOf(h.caller(other.principal).imports.rejects({ workspaceId: ws.id, projectId, importId: run.id }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_run_owner' } });
    await h.caller(user.principal).imports.rejects({ workspaceId: ws.id, projectId, importId: run.id });
    await h.caller(owner.principal).imports.rejects({ workspaceId: ws.id, projectId, importId: run.id });
    expect(await problemOf(h.caller(other.principal).imports.cancel({ workspaceId: ws.id, projectId, importId: run.id }))).toMatchObject({ code: 'FORBIDDEN' });
    const started = (await h.auditRows(ws.id)).find((row) => row.action === 'import.start' && row.targetId === run.id);
    expect(started).toMatchObject({ outcome: 'success', actorUserId: user.id, details: expect.objectContaining({ table: expect.stringContaining('people_'), mode: 'insert', errorPolicy: 'skip' }) });
    expect((await h.auditRows(ws.id)).find((row) => row.action === 'import.finish' && row.targetId === run.id)).toMatchObject({ outcome: 'success', details: expect.objectContaining({ outcome: 'succeeded', rowsWritten: 1, rowsRejected: 1 }) });
  });

  it('cancels mid-run: nothing committed; one import per table runs at a time', async () => {
    const { ws, owner, table, projectId } = await setup();
    const api = h.caller(owner.principal);
    const slow = slowUpload('id,name', (n) => `${n},row ${n}`, { rows: 5_000, pauseMs: 10 });
    const run = await start(h, owner, { workspaceId: ws.id, projectId, table }, slow.upload);
    expect(run.outcome).toBe('running');
    expect(await eventually(async () => (await api.imports.get({ workspaceId: ws.id, projectId, importId: run.id })).rowsRead >= 5)).toBe(true);
    const busy = await problemOf(start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('id,name\n1,a\n')));
    expect(busy).toMatchObject({ code: 'CONFLICT', error: 'import_busy', details: { runningImportId: run.id } });

    const cancelled = await api.imports.cancel({ workspaceId: ws.id, projectId, importId: run.id });
    expect(cancelled).toMatchObject({ outcome: 'cancelled', rowsWritten: 0, error: { error: 'import_cancelled' } });
    expect(cancelled.rowsRead).toBeGreaterThanOrEqual(5);
    expect(slow.sent()).toBeLessThan(5_000);
    expect(await backend.people(table)).toEqual([]);
    // Cancelling again answers the same; the table is free again.
    expect((await api.imports.cancel({ workspaceId: ws.id, projectId, importId: run.id })).outcome).toBe('cancelled');
    const next = await start(h, owner, { workspaceId: ws.id, projectId, table }, uploadOf('id,name\n1,a\n'));
    await h.services.imports.settled(next.id);
    expect((await api.imports.get({ workspaceId: ws.id, projectId, importId: next.id })).outcome).toBe('succeeded');
    const history = await api.imports.list({ workspaceId: ws.id, projectId, limit: 1 });
    expect(history.items.map((item) => item.id)).toEqual([next.id]);
    expect((await api.imports.list({ workspaceId: ws.id, projectId, cursor: history.nextCursor! })).items.map((item) => item.id)).toEqual([run.id]);
    expect((await h.auditRows(ws.id)).some((row) => row.action === 'import.cancel' && row.targetId === run.id)).toBe(true);
  });

  it('a shutdown mid-run rolls back and marks the run interrupted; a crashed process’s run is marked at the next start-up', async () => {
    const { ws, owner, table, projectId, connectionId } = await setup();
    const deps = { db: h.services.db, workspaceDatabases: h.services.workspaceDatabases, audit: h.services.audit, logger: createLogger('silent') };
    const instance = new ImportService(deps, { heartbeatMs: 50 });
    const project = await h.services.projects.get(ws.id, projectId);
    const slow = slowUpload('id,name', (n) => `${n},row ${n}`, { rows: 5_000, pauseMs: 10 });
    const run = await instance.start({ workspaceId: ws.id, project: { ...project, connectionId }, table, mode: 'insert', errorPolicy: 'all-or-nothing', maxRejects: 10, upload: slow.upload, startedBy: { userId: owner.id, name: owner.username }, actor: null, requestMeta: { ip: null, userAgent: null } });
    expect(await eventually(async () => (await h.services.imports.get(ws.id, run.id)).rowsRead >= 5)).toBe(true);
    await instance.close();
    expect(await h.services.imports.get(ws.id, run.id)).toMatchObject({ outcome: 'interrupted', rowsWritten: 0, error: { error: 'import_interrupted' } });
    expect(await backend.people(table)).toEqual([]);

    // A process that died leaves its run 'running' with a heartbeat that stopped.
    const base = { workspaceId: ws.id, projectId, projectName: project.name, connectionId, fileName: 'x.csv', mode: 'insert', errorPolicy: 'all-or-nothing', maxRejects: 1, startedByName: owner.username };
    const [dead] = await h.services.db.insert(importRuns).values({ ...base, targetTable: 'public.dead', instanceId: 'crashed', heartbeatAt: new Date(Date.now() - 120_000) }).returning({ id: importRuns.id });
    const [alive] = await h.services.db.insert(importRuns).values({ ...base, targetTable: 'public.alive', instanceId: 'elsewhere' }).returning({ id: importRuns.id });
    const restarted = new ImportService(deps, { staleAfterMs: 30_000 });
    expect(await restarted.startSweeping()).toBe(1);
    await restarted.close();
    const outcomeOf = async (id: string) => (await h.services.db.select({ outcome: importRuns.outcome }).from(importRuns).where(eq(importRuns.id, id)))[0]?.outcome;
    expect(await outcomeOf(dead!.id)).toBe('interrupted');
    expect(await outcomeOf(alive!.id)).toBe('running');
    // On the embedded database no other process can hold a run: every running run is stale at start-up.
    const embedded = new ImportService(deps);
    expect(await embedded.startSweeping({ everyRunIsStale: true })).toBe(1);
    await embedded.close();
    expect(await outcomeOf(alive!.id)).toBe('interrupted');
    expect((await h.auditRows(ws.id)).filter((row) => row.action === 'import.finish' && (row.details as { outcome?: string }).outcome === 'interrupted').length).toBe(3);
  });

  it('refuses a file over the size cap, by its declared size at once and by what arrives otherwise', async () => {
    const { ws, owner, table, projectId, connectionId } = await setup();
    const deps = { db: h.services.db, workspaceDatabases: h.services.workspaceDatabases, audit: h.services.audit, logger: createLogger('silent') };
    const small = new ImportService(deps, { maxFileBytes: 400_000 });
    const project = { ...(await h.services.projects.get(ws.id, projectId)), connectionId };
    const request = (upload: ImportUpload) => ({ workspaceId: ws.id, project, table, mode: 'insert' as const, errorPolicy: 'all-or-nothing' as const, maxRejects: 10, upload, startedBy: { userId: owner.id, name: owner.username }, actor: null, requestMeta: { ip: null, userAgent: null } });
    const big = `id,name\n${Array.from({ length: 150_000 }, (_, i) => `${i},name ${i}`).join('\n')}\n`;
    await expect(small.start(request(uploadOf(big)))).rejects.toMatchObject({ code: 'file_too_large', details: { limit: 400_000 } });
    // Without a declared size the file is read until the cap: the run started, then fails.
    const chunks = Array.from({ length: Math.ceil(big.length / 4_000) }, (_, i) => Buffer.from(big.slice(i * 4_000, (i + 1) * 4_000)));
    const undeclared: ImportUpload = { stream: Readable.from(chunks), fileName: 'big.csv' };
    const run = await small.start(request(undeclared));
    await small.settled(run.id);
    expect(await small.get(ws.id, run.id)).toMatchObject({ outcome: 'failed', error: { error: 'file_too_large' } });
    await small.close();
    expect(await backend.people(table)).toEqual([]);
  });
});
