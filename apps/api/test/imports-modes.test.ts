// CSV imports into the machine's PostgreSQL and MariaDB and into the TDS emulator: every mode (insert, upsert, replace) under
// both error policies, a file with everything CSV can throw (quoted delimiters, embedded newlines,
// CRLF, a UTF-8 BOM, unicode, empty vs NULL) landing row by row, rejects with row, column and
// reason, and a bad row in all-or-nothing leaving the table as it was.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import type { ImportUpload } from '../src/services/imports/service';
import { useHarness, type Harness, type UserFixture } from './support/harness';
import { importWorkspace, requireImportBackendsInCi, uploadOf, useImportBackends, type ImportBackend } from './support/imports';

const HEADER = 'id,name,note,amount,born,active,seen';

async function runImport(h: Harness, who: UserFixture, wsId: string, projectId: string, upload: ImportUpload, options: { table?: string; mode?: 'insert' | 'upsert' | 'replace'; errorPolicy?: 'all-or-nothing' | 'skip'; maxRejects?: number } = {}) {
  const { caller, ctx } = h.callerWithContext(who.principal);
  ctx.upload = upload;
  const started = await caller.imports.start({ workspaceId: wsId, projectId, ...options });
  await h.services.imports.settled(started.id);
  return { started, run: await caller.imports.get({ workspaceId: wsId, projectId, importId: started.id }) };
}

async function rejectsOf(h: Harness, who: UserFixture, wsId: string, projectId: string, importId: string): Promise<string> {
  const download = await h.caller(who.principal).imports.rejects({ workspaceId: wsId, projectId, importId });
  const chunks: Buffer[] = [];
  for await (const chunk of download.open()) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const { backends, missing } = useImportBackends({ mssql: true });
requireImportBackendsInCi(missing);

describe.each(backends.map((backend) => [backend.name, backend] as const))('imports into %s', (_name, backend: ImportBackend) => {
  // The system database's kind does not change how rows land: the embedded one is enough here
  // (rest-imports.test.ts runs the HTTP path on both).
  const h = useHarness(testTargets[0]!);

  async function setup() {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `people-${table}`, connectionId });
    return { ws, owner, table, projectId: project.id };
  }

  it('lands a file with quoted delimiters, embedded newlines, CRLF, a BOM, unicode and empty-vs-NULL exactly', async () => {
    const { ws, owner, table, projectId } = await setup();
    const csv =
      '\uFEFF' +
      `${HEADER}\r\n` +
      '1,"Smith, Jane","line one\r\nline two",12.50,2024-02-29,true,2024-03-01 10:20:30\r\n' +
      '2,Zoë Ünïcødé 🚀,"",,,,\r\n' +
      '3,"He said ""hi""",,0.5,1999-12-31,false,2024-03-01T23:59:59\r\n' +
      '4,"",plain note,-7,,no,\r\n';
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf(csv), { table });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: 4, rowsWritten: 4, rowsRejected: 0, error: null, mode: 'insert', errorPolicy: 'all-or-nothing' });
    expect(run.fileBytes).toBe(Buffer.byteLength(csv));
    expect(run.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await backend.people(table)).toEqual([
      [1, 'Smith, Jane', 'line one\r\nline two', '12.50', '2024-02-29', 'true', '2024-03-01 10:20:30'],
      [2, 'Zoë Ünïcødé 🚀', '', null, null, null, null],
      [3, 'He said "hi"', null, '0.50', '1999-12-31', 'false', '2024-03-01 23:59:59'],
      [4, '', 'plain note', '-7.00', null, 'false', null],
    ]);
  });

  it('insert, skip: sets two bad rows aside with row, column and reason; the rest lands', async () => {
    const { ws, owner, table, projectId } = await setup();
    const csv = `${HEADER}\n1,ok,,1,,,\n2,bad amount,,12345678.9,,,\n3,ok too,,3,,,\n4,,,x,,,\n5,${'n'.repeat(21)},,5,,,\n`;
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf(csv), { table, errorPolicy: 'skip' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: 5, rowsWritten: 2, rowsRejected: 3 });
    expect((await backend.people(table)).map((row) => row[0])).toEqual([1, 3]);
    const rejects = (await rejectsOf(h, owner, ws.id, projectId, run.id)).trimEnd().split('\r\n');
    expect(rejects[0]).toBe(`row,line,column,reason,value,${HEADER}`);
    expect(rejects.slice(1)).toEqual([
      '2,3,amount,"too many digits for ' + (backend.name === 'postgres' ? 'numeric' : 'decimal') + '(8,2): at most 6 before the decimal point",12345678.9,2,bad amount,,12345678.9,,,',
      '4,5,name,NULL in a NOT NULL column,,4,,,x,,,',
      `5,6,name,longer than 20 characters (21),${'n'.repeat(21)},5,${'n'.repeat(21)},,5,,,`,
    ]);
  });

  it('insert, all-or-nothing: one bad row leaves the table exactly as it was, and names the row', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (100, 'before')`);
    const csv = `${HEADER}\n1,a,,,,,\n2,b,,,2024-13-01,,\n3,c,,,,,\n`;
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf(csv), { table });
    expect(run).toMatchObject({ outcome: 'failed', rowsWritten: 0, rowsRejected: 1, error: { error: 'rows_rejected', details: { rowsRejected: 1 } } });
    expect(run.error?.message).toContain('nothing was imported');
    expect(await backend.people(table)).toEqual([[100, 'before', null, null, null, null, null]]);
    expect(await rejectsOf(h, owner, ws.id, projectId, run.id)).toContain('2,3,born,not a valid calendar date,2024-13-01');
  });

  it('upsert, all-or-nothing: updates existing keys, inserts new ones, and keeps the last row of a repeated key', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name, note) VALUES (1, 'old one', 'keep?'), (2, 'old two', 'untouched')`);
    const csv = 'id,name,note\n1,new one,\n3,three,x\n3,three again,y\n';
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf(csv), { table, mode: 'upsert' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRejected: 0 });
    expect((await backend.people(table)).map((row) => row.slice(0, 3))).toEqual([
      [1, 'new one', null],
      [2, 'old two', 'untouched'],
      [3, 'three again', 'y'],
    ]);
  });

  it('upsert, skip: merges the good rows and sets the bad one aside; upsert without the key column is refused', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (1, 'old')`);
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf('id,name,active\n1,renamed,yes\n2,new,maybe\n3,third,0\n'), { table, mode: 'upsert', errorPolicy: 'skip' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRejected: 1 });
    expect((await backend.people(table)).map((row) => [row[0], row[1], row[5]])).toEqual([
      [1, 'renamed', 'true'],
      [3, 'third', 'false'],
    ]);
    const { caller, ctx } = h.callerWithContext(owner.principal);
    ctx.upload = uploadOf('name\nno key\n');
    await expect(caller.imports.start({ workspaceId: ws.id, projectId, table, mode: 'upsert' })).rejects.toMatchObject({ cause: { problem: { error: 'column_mapping_invalid', details: { missingKeyColumns: ['id'] } } } });
  });

  it('replace, all-or-nothing: swaps the contents in one transaction; a bad row keeps the old contents', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (1, 'old'), (2, 'old too')`);
    const failed = await runImport(h, owner, ws.id, projectId, uploadOf('id,name\n7,new\nx,bad\n9,fine\n'), { table, mode: 'replace' });
    expect(failed.run).toMatchObject({ outcome: 'failed', error: { error: 'rows_rejected' } });
    expect((await backend.people(table)).map((row) => row[0])).toEqual([1, 2]);
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf('id,name\n7,new\n8,newer\n'), { table, mode: 'replace' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: 2 });
    expect((await backend.people(table)).map((row) => row.slice(0, 2))).toEqual([
      [7, 'new'],
      [8, 'newer'],
    ]);
  });

  it('replace, skip: replaces with the good rows; past the cap nothing changes', async () => {
    const { ws, owner, table, projectId } = await setup();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (1, 'old')`);
    const { run } = await runImport(h, owner, ws.id, projectId, uploadOf('id,name,born\n5,five,2024-01-01\n6,six,01/02/2024\n'), { table, mode: 'replace', errorPolicy: 'skip' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: 1, rowsRejected: 1 });
    expect((await backend.people(table)).map((row) => [row[0], row[4]])).toEqual([[5, '2024-01-01']]);
    const capped = await runImport(h, owner, ws.id, projectId, uploadOf('id,name\n1,a\nx,b\ny,c\n'), { table, mode: 'replace', errorPolicy: 'skip', maxRejects: 1 });
    expect(capped.run).toMatchObject({ outcome: 'failed', rowsWritten: 0, error: { error: 'too_many_rejects', details: { maxRejects: 1 } } });
    expect((await backend.people(table)).map((row) => row[0])).toEqual([5]);
  });

  it('reads the project’s CSV settings: delimiter, NULL markers, date formats, latin1, renames and ignored columns', async () => {
    const { ws, owner, table } = await setup();
    const project = await h.caller(owner.principal).projects.create({
      workspaceId: ws.id,
      name: `settings-${table}`,
      connectionId: (await h.caller(owner.principal).connections.list({ workspaceId: ws.id })).items[0]!.id,
      config: {
        csv: { delimiter: ';', encoding: 'latin1', null_markers: ['', 'NULL'], date_format: 'DD.MM.YYYY', timestamp_format: 'DD.MM.YYYY HH:mm' },
        mappings: [{ file_pattern: 'kunden_*.csv', table, columns: { Nummer: 'id', Name: 'name' }, ignore: ['Bemerkung'] }],
      },
    });
    const csv = Buffer.from('Nummer;Name;Bemerkung;born;seen;note\n1;Müller;egal;24.12.2023;01.02.2024 08:15;NULL\n2;"NULL";x;;;""\n', 'latin1');
    const { run } = await runImport(h, owner, ws.id, project.id, uploadOf(csv, 'kunden_2024.csv'));
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: 2, table: expect.stringContaining('people_') });
    expect((await backend.people(table)).map((row) => [row[0], row[1], row[2], row[4], row[6]])).toEqual([
      [1, 'Müller', null, '2023-12-24', '2024-02-01 08:15:00'],
      [2, 'NULL', '', null, null],
    ]);
  });
});
