// A cancel may land on an API instance other than the one running the import. Two sets of services
// on one PostgreSQL system database stand in for two instances: the run is started on A, the cancel
// is asked of B; A stops reading, rolls back, and the run is recorded as cancelled with nothing
// committed, and B's answer already says so.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context';
import { appRouter } from '../src/routers/_app';
import { closeServices, type AppServices } from '../src/services/index';
import { createCallerFactory } from '../src/trpc';
import { createHarness, type Harness, createOtherInstance } from './support/harness';
import { eventually, importWorkspace, requireImportBackendsInCi, slowUpload, useImportBackends } from './support/imports';

const { backends, missing } = useImportBackends();
requireImportBackendsInCi(missing);
const postgres = backends.find((backend) => backend.name === 'postgres');
const systemPostgres = testTargets.find((target) => target.name === 'postgres');

describe.runIf(postgres && systemPostgres)('cancelling an import held by another instance', () => {
  const backend = postgres!;
  // Short heartbeats keep the test quick: the running instance reads the request with its next one.
  const imports = { heartbeatMs: 100 };
  let h: Harness;
  let b: AppServices;

  beforeAll(async () => {
    h = await createHarness(systemPostgres!, { imports });
    b = await createOtherInstance(h, { imports });
  }, 120_000);

  afterAll(async () => {
    if (b) await closeServices(b, { poolDrainDeadlineMs: 1_000 });
    await h?.dispose();
  });

  it('the run on A stops and is marked cancelled when B is asked; nothing is committed', async () => {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `across-${table}`, connectionId });
    const slow = slowUpload('id,name', (n) => `${n},row ${n}`, { rows: 5_000, pauseMs: 10 });
    const { caller: onA, ctx } = h.callerWithContext(owner.principal);
    ctx.upload = slow.upload;
    const run = await onA.imports.start({ workspaceId: ws.id, projectId: project.id, table });
    const byId = { workspaceId: ws.id, projectId: project.id, importId: run.id };
    expect(await eventually(async () => (await onA.imports.get(byId)).rowsRead >= 5)).toBe(true);

    const onB = createCallerFactory(appRouter)(createContextInner({ ...b, principal: owner.principal, requestMeta: { ip: '127.0.0.1', userAgent: 'instance-b' } }));
    const answer = await onB.imports.cancel(byId);
    expect(answer).toMatchObject({ id: run.id, outcome: 'cancelled', rowsWritten: 0, error: { error: 'import_cancelled' } });

    await h.services.imports.settled(run.id);
    expect(await onA.imports.get(byId)).toMatchObject({ outcome: 'cancelled', rowsWritten: 0, error: { error: 'import_cancelled' } });
    expect(slow.sent()).toBeLessThan(5_000);
    expect(await backend.people(table)).toEqual([]);
    expect((await h.auditRows(ws.id)).filter((row) => row.targetId === run.id).map((row) => [row.action, row.outcome])).toEqual(
      expect.arrayContaining([
        ['import.cancel', 'success'],
        ['import.finish', 'failure'],
      ]),
    );
  });
});
