// SQL Server imports (into the TDS emulator) of files larger than one bulk load: every batch lands,
// a server refusal in a late batch leaves the table as it was, and an upsert whose keys repeat
// across batches keeps the file's last row of each key.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import type { ImportUpload } from '../src/services/imports/service';
import { useHarness, type Harness, type UserFixture } from './support/harness';
import { importWorkspace, uploadOf, useImportBackends } from './support/imports';

/** More than two bulk loads of 10,000 rows. */
const ROWS = 23_456;

async function runImport(h: Harness, who: UserFixture, wsId: string, projectId: string, upload: ImportUpload, options: { table: string; mode?: 'insert' | 'upsert' | 'replace' }) {
  const { caller, ctx } = h.callerWithContext(who.principal);
  ctx.upload = upload;
  const started = await caller.imports.start({ workspaceId: wsId, projectId, ...options });
  await h.services.imports.settled(started.id);
  return caller.imports.get({ workspaceId: wsId, projectId, importId: started.id });
}

function file(ids: Iterable<number>, name: (id: number) => string): string {
  let csv = 'id,name,amount,born,active,seen\n';
  for (const id of ids) csv += `${id},${name(id)},${(id % 1000) / 100},2024-01-${String((id % 28) + 1).padStart(2, '0')},${id % 2 === 0},2024-02-03 04:05:${String(id % 60).padStart(2, '0')}\n`;
  return csv;
}

function* range(from: number, to: number): Generator<number> {
  for (let id = from; id <= to; id++) yield id;
}

const { backends } = useImportBackends({ mssql: true });
const backend = backends.find((candidate) => candidate.name === 'mssql')!;

describe('imports into SQL Server through bulk load, several loads per file', () => {
  const h = useHarness(testTargets[0]!);

  async function setup() {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `bulk-${table}`, connectionId });
    return { ws, owner, table, projectId: project.id };
  }

  it('lands every row of every batch, values exact', async () => {
    const { ws, owner, table, projectId } = await setup();
    const run = await runImport(h, owner, ws.id, projectId, uploadOf(file(range(1, ROWS), (id) => `n${id}`)), { table });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: ROWS, rowsWritten: ROWS, rowsRejected: 0, error: null });
    const rows = await backend.people(table);
    expect(rows).toHaveLength(ROWS);
    expect(rows[0]).toEqual([1, 'n1', null, '0.01', '2024-01-02', 'false', '2024-02-03 04:05:01']);
    expect(rows[ROWS - 1]).toEqual([ROWS, `n${ROWS}`, null, `${((ROWS % 1000) / 100).toFixed(2)}`, `2024-01-${String((ROWS % 28) + 1).padStart(2, '0')}`, 'true', `2024-02-03 04:05:${String(ROWS % 60).padStart(2, '0')}`]);
  });

  it('a key the server refuses in the last batch fails the run and leaves the table as it was', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (${ROWS}, N'already here')`);
    const run = await runImport(h, owner, ws.id, projectId, uploadOf(file(range(1, ROWS), (id) => `n${id}`)), { table });
    expect(run).toMatchObject({ outcome: 'failed', rowsWritten: 0, error: { error: 'import_failed' } });
    expect(await backend.people(table)).toEqual([[ROWS, 'already here', null, null, null, null, null]]);
  });

  it('upsert across batches: existing keys are updated and the file’s last row of a repeated key wins', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (1, N'old one'), (20000, N'old 20000')`);
    // Keys 1..15,000, then 5..20,004 again: the second pass is in later batches and wins.
    const second = file(range(5, 20_004), (id) => `second${id}`).split('\n').slice(1).join('\n');
    const upload = file(range(1, 15_000), (id) => `n${id}`) + second;
    const run = await runImport(h, owner, ws.id, projectId, uploadOf(upload), { table, mode: 'upsert' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: 35_000, rowsWritten: 20_004, error: null });
    const rows = await backend.people(table);
    expect(rows).toHaveLength(20_004);
    expect(rows[0]?.slice(0, 2)).toEqual([1, 'n1']);
    expect(rows[4]?.slice(0, 2)).toEqual([5, 'second5']);
    expect(rows[19_999]?.slice(0, 2)).toEqual([20_000, 'second20000']);
  });

  it('an IDENTITY column named in the file is refused before any row is written; left out, SQL Server numbers the rows', async () => {
    const { ws, owner, projectId } = await setup();
    const table = `numbered_${Date.now().toString(36)}`;
    await backend.exec(`CREATE TABLE ${table} (id int IDENTITY(1,1) PRIMARY KEY, name nvarchar(20) NOT NULL)`);
    const { caller, ctx } = h.callerWithContext(owner.principal);
    ctx.upload = uploadOf('id,name\n41,forty-one\n42,forty-two\n');
    await expect(caller.imports.start({ workspaceId: ws.id, projectId, table })).rejects.toMatchObject({
      cause: { problem: { error: 'column_mapping_invalid', details: { field: 'file', identityColumns: ['id'] } } },
    });
    const numbered = await runImport(h, owner, ws.id, projectId, uploadOf('name\nfirst\nsecond\n'), { table });
    expect(numbered).toMatchObject({ outcome: 'succeeded', rowsWritten: 2 });
  });
});

