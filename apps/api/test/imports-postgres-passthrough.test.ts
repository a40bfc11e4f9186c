// The PostgreSQL fast path (the file's bytes straight into COPY): a bad row past the first parsed
// batch is found by PostgreSQL and still comes back as a reject with row, column, value and reason,
// the table left as it was; a file the fast path cannot take (skip policy) still lists every bad row.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';
import { importWorkspace, requireImportBackendsInCi, uploadOf, useImportBackends } from './support/imports';

const { backends, missing } = useImportBackends();
requireImportBackendsInCi(missing);
const postgres = backends.find((backend) => backend.name === 'postgres');

/** Past the first batch the run checks itself (512 records), so the server meets these rows first. */
const GOOD_ROWS = 1_000;

describe.runIf(postgres)('PostgreSQL fast path', () => {
  const backend = postgres!;
  const h = useHarness(testTargets[0]!);

  async function importCsv(csv: string, errorPolicy: 'all-or-nothing' | 'skip' = 'all-or-nothing') {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (100000, 'before')`);
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `fast-${table}`, connectionId });
    const { caller, ctx } = h.callerWithContext(owner.principal);
    ctx.upload = uploadOf(csv);
    const started = await caller.imports.start({ workspaceId: ws.id, projectId: project.id, table, errorPolicy });
    await h.services.imports.settled(started.id);
    const run = await caller.imports.get({ workspaceId: ws.id, projectId: project.id, importId: started.id });
    const download = await caller.imports.rejects({ workspaceId: ws.id, projectId: project.id, importId: started.id });
    const chunks: Buffer[] = [];
    for await (const chunk of download.open()) chunks.push(Buffer.from(chunk as Buffer));
    return { run, table, rejects: Buffer.concat(chunks).toString('utf8').trimEnd().split('\r\n').slice(1) };
  }

  const goodRows = (from: number) => Array.from({ length: GOOD_ROWS }, (_, i) => `${from + i},"name, ${from + i}",,${i}.5,2024-01-02,yes,2024-01-02 03:04:05\n`).join('');

  it('lands a large clean file exactly, counting its rows', async () => {
    const { run, table } = await importCsv(`id,name,note,amount,born,active,seen\n${goodRows(1)}`);
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: GOOD_ROWS, rowsWritten: GOOD_ROWS, rowsRejected: 0 });
    const rows = await backend.people(table);
    expect(rows).toHaveLength(GOOD_ROWS + 1);
    expect(rows[0]).toEqual([1, 'name, 1', null, '0.50', '2024-01-02', 'true', '2024-01-02 03:04:05']);
  });

  it('a bad value past the first batch: a reject naming row, line, column, value and reason; nothing committed', async () => {
    const { run, table, rejects } = await importCsv(`id,name,note,amount,born,active,seen\n${goodRows(1)}${GOOD_ROWS + 1},late,,1,2024-02-30,,\n${goodRows(GOOD_ROWS + 2)}`);
    expect(run).toMatchObject({ outcome: 'failed', rowsWritten: 0, rowsRejected: 1, error: { error: 'rows_rejected', details: { rowsRejected: 1 } } });
    expect(run.error?.message).toContain('nothing was imported');
    expect(rejects).toEqual([`${GOOD_ROWS + 1},${GOOD_ROWS + 2},born,not a valid calendar date,2024-02-30`]);
    expect(await backend.people(table)).toEqual([[100000, 'before', null, null, null, null, null]]);
  });

  it('rows with line breaks inside quoted fields: a refused row is numbered by record, not by line', async () => {
    // Every good row spans two lines (CRLF inside its note); the refused row spans three.
    const twoLineRows = Array.from({ length: GOOD_ROWS }, (_, i) => `${i + 1},"name, ${i + 1}","first line\r\nsecond line",${i}.5,2024-01-02,yes,2024-01-02 03:04:05\n`).join('');
    const { run, table, rejects } = await importCsv(`id,name,note,amount,born,active,seen\n${twoLineRows}${GOOD_ROWS + 1},late,"one\ntwo\nthree",1,2024-02-30,,\n${goodRows(GOOD_ROWS + 2)}`);
    expect(run).toMatchObject({ outcome: 'failed', rowsWritten: 0, rowsRejected: 1, error: { error: 'rows_rejected' } });
    // Row GOOD_ROWS + 1 starts on line 2 + 2 × GOOD_ROWS (the header is line 1).
    expect(rejects).toEqual([`${GOOD_ROWS + 1},${2 + 2 * GOOD_ROWS},born,not a valid calendar date,2024-02-30`]);
    expect(await backend.people(table)).toEqual([[100000, 'before', null, null, null, null, null]]);
  });

  it('a NULL in a NOT NULL column past the first batch is named too', async () => {
    const { run, rejects } = await importCsv(`id,name,note,amount,born,active,seen\n${goodRows(1)}${GOOD_ROWS + 1},,,1,,,\n`);
    expect(run).toMatchObject({ outcome: 'failed', rowsRejected: 1, error: { error: 'rows_rejected' } });
    expect(rejects).toEqual([`${GOOD_ROWS + 1},${GOOD_ROWS + 2},name,NULL in a NOT NULL column,`]);
  });

  it('skip-bad-rows keeps the checked path: every bad row is set aside and the rest lands', async () => {
    const { run, table, rejects } = await importCsv(`id,name,note,amount,born,active,seen\n${goodRows(1)}${GOOD_ROWS + 1},x,,oops,,,\n${GOOD_ROWS + 2},,,1,,,\n`, 'skip');
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: GOOD_ROWS, rowsRejected: 2 });
    expect(rejects.map((line) => line.split(',').slice(0, 4).join(','))).toEqual([`${GOOD_ROWS + 1},${GOOD_ROWS + 2},amount,not a number (numeric)`, `${GOOD_ROWS + 2},${GOOD_ROWS + 3},name,NULL in a NOT NULL column`]);
    expect(await backend.people(table)).toHaveLength(GOOD_ROWS + 1);
  });
});
