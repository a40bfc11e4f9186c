// The MariaDB fast path (the file's bytes, barely rewritten, straight into LOAD DATA LOCAL INFILE):
// a file with everything CSV can throw lands as the checked path would land it, a bad row past the
// first parsed batch comes back as a reject naming row, line, column and reason with the table left
// as it was, and replace swaps the contents in one transaction.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';
import { eventually, importWorkspace, requireImportBackendsInCi, slowUpload, uploadOf, useImportBackends, type PeopleRow } from './support/imports';

const { backends, missing } = useImportBackends();
requireImportBackendsInCi(missing);
const mysql = backends.find((backend) => backend.name === 'mysql');

/** Past the first batch the run checks itself (512 records), so the server meets these rows first. */
const GOOD_ROWS = 1_000;
const HEADER = 'id,name,note,amount,born,active,seen';

describe.runIf(mysql)('MariaDB fast path', () => {
  const backend = mysql!;
  const h = useHarness(testTargets[0]!);

  async function setup() {
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    await backend.exec(`INSERT INTO ${table} (id, name) VALUES (100000, 'before')`);
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `fast-${table}`, connectionId });
    const importCsv = async (csv: string, options: { mode?: 'insert' | 'replace' } = {}) => {
      const { caller, ctx } = h.callerWithContext(owner.principal);
      ctx.upload = uploadOf(csv);
      const started = await caller.imports.start({ workspaceId: ws.id, projectId: project.id, table, ...options });
      await h.services.imports.settled(started.id);
      const run = await caller.imports.get({ workspaceId: ws.id, projectId: project.id, importId: started.id });
      const download = await caller.imports.rejects({ workspaceId: ws.id, projectId: project.id, importId: started.id });
      const chunks: Buffer[] = [];
      for await (const chunk of download.open()) chunks.push(Buffer.from(chunk as Buffer));
      return { run, rejects: Buffer.concat(chunks).toString('utf8').trimEnd().split('\r\n').slice(1) };
    };
    return { ws, owner, table, projectId: project.id, importCsv };
  }

  const goodRows = (from: number, end = '\n') => Array.from({ length: GOOD_ROWS }, (_, i) => `${from + i},"name, ${from + i}",,${i}.5,2024-01-02,yes,2024-01-02 03:04:05${end}`).join('');
  const BEFORE: PeopleRow = [100000, 'before', null, null, null, null, null];

  it('lands quoted delimiters, embedded newlines, CRLF, a BOM, unicode, empty vs NULL, NULL words and backslashes exactly', async () => {
    const { table, importCsv } = await setup();
    const tricky =
      '1,"Smith, Jane","line one\r\nline two",12.50,2024-02-29,true,2024-03-01 10:20:30\r\n' +
      '\r\n' +
      '2,Zoë Ünïcødé 🚀,"",,,,\r\n' +
      '3,"He said ""hi""",,0.5,1999-12-31,FALSE,2024-03-01T23:59:59\r\n' +
      '4,"",plain note,-7,,no,\r\n' +
      '5,NULL,"NULL",.25,,0,\r\n' +
      '6,C:\\path\\N,\\N,,,On,\r\n' +
      '7,"back\\slash ""\\""",tab\there,,,,\r\n' +
      '""\r\n';
    const file = `\uFEFF${HEADER}\r\n${tricky}${goodRows(10, '\r\n')}`;
    // The same file with a bad row at its end: a reject as only the fast path words it (no copy of the
    // row's fields) shows this shape of file takes the fast path.
    const failed = await importCsv(`${file}${GOOD_ROWS + 10},late,,1,2024-02-30,,\r\n`);
    expect(failed.run).toMatchObject({ outcome: 'failed', rowsWritten: 0, rowsRejected: 1, error: { error: 'rows_rejected', details: { rowsRejected: 1 } } });
    // 7 tricky rows and the good ones before it; the header, an embedded newline, an empty line and a `""` line before it.
    const row = 7 + GOOD_ROWS + 1;
    expect(failed.rejects).toEqual([`${row},${row + 4},born,not a valid date (date),`]);
    expect(await backend.people(table)).toEqual([BEFORE]);

    const { run } = await importCsv(file);
    expect(run).toMatchObject({ outcome: 'succeeded', rowsRead: 7 + GOOD_ROWS, rowsWritten: 7 + GOOD_ROWS, rowsRejected: 0, error: null });
    expect(run.fileBytes).toBe(Buffer.byteLength(file));
    const rows = await backend.people(table);
    expect(rows.slice(0, 7)).toEqual([
      [1, 'Smith, Jane', 'line one\r\nline two', '12.50', '2024-02-29', 'true', '2024-03-01 10:20:30'],
      [2, 'Zoë Ünïcødé 🚀', '', null, null, null, null],
      [3, 'He said "hi"', null, '0.50', '1999-12-31', 'false', '2024-03-01 23:59:59'],
      [4, '', 'plain note', '-7.00', null, 'false', null],
      [5, 'NULL', 'NULL', '0.25', null, 'false', null],
      [6, 'C:\\path\\N', '\\N', null, null, 'true', null],
      [7, 'back\\slash "\\"', 'tab\there', null, null, null, null],
    ]);
    expect(rows[7]).toEqual([10, 'name, 10', null, '0.50', '2024-01-02', 'true', '2024-01-02 03:04:05']);
    expect(rows).toHaveLength(7 + GOOD_ROWS + 1);
  });

  it('a bad value past the first batch names row, line, column and reason; nothing is committed', async () => {
    const { table, importCsv } = await setup();
    const late = GOOD_ROWS + 1;
    const cases: [string, string][] = [
      [`${late},,,1,,,`, `${late},${late + 1},name,NULL in a NOT NULL column,`],
      [`${late},x,,1,,maybe,`, `${late},${late + 1},active,"not a boolean (true/false, 1/0, yes/no)",maybe`],
      [`${late},x,,oops,,,`, `${late},${late + 1},amount,not a number (decimal),oops`],
      [`${late},${'n'.repeat(21)},,1,,,`, `${late},${late + 1},name,longer than 20 characters,`],
      [`${late},x,,1,,,,extra`, `${late},${late + 1},,has more fields than the header,`],
    ];
    for (const [bad, reject] of cases) {
      const { run, rejects } = await importCsv(`${HEADER}\n${goodRows(1)}${bad}\n${goodRows(late + 1)}`);
      expect(run).toMatchObject({ outcome: 'failed', rowsWritten: 0, rowsRejected: 1, error: { error: 'rows_rejected' } });
      expect(run.error?.message).toContain('nothing was imported');
      expect(rejects).toEqual([reject]);
      expect(await backend.people(table)).toEqual([BEFORE]);
    }
  });

  it('a duplicate key or broken CSV past the first batch fails the run and leaves the table as it was', async () => {
    const { table, importCsv } = await setup();
    const duplicate = await importCsv(`${HEADER}\n${goodRows(1)}1,again,,,,,\n`);
    expect(duplicate.run).toMatchObject({ outcome: 'failed', rowsWritten: 0, error: { error: 'import_failed', details: { databaseCode: '1062' } } });
    const broken = await importCsv(`${HEADER}\n${goodRows(1)}${GOOD_ROWS + 1},a"b,,,,,\n`);
    expect(broken.run).toMatchObject({ outcome: 'failed', rowsWritten: 0, error: { error: 'file_unreadable', details: { line: GOOD_ROWS + 2 } } });
    expect(await backend.people(table)).toEqual([BEFORE]);
  });

  it('replace swaps the contents in one transaction; a bad row keeps the old contents', async () => {
    const { table, importCsv } = await setup();
    const failed = await importCsv(`${HEADER}\n${goodRows(1)}x,bad,,,,,\n`, { mode: 'replace' });
    expect(failed.run).toMatchObject({ outcome: 'failed', error: { error: 'rows_rejected' } });
    expect(failed.rejects).toEqual([`${GOOD_ROWS + 1},${GOOD_ROWS + 2},id,not an integer (int),x`]);
    expect(await backend.people(table)).toEqual([BEFORE]);
    const { run } = await importCsv(`${HEADER}\n${goodRows(1)}`, { mode: 'replace' });
    expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: GOOD_ROWS });
    const rows = await backend.people(table);
    expect(rows).toHaveLength(GOOD_ROWS);
    expect(rows.map((row) => row[0])).not.toContain(100000);
  });

  it('cancel mid-run: the load stops, nothing is committed, and the table takes the next import', async () => {
    const { ws, owner, table, projectId, importCsv } = await setup();
    const api = h.caller(owner.principal);
    const slow = slowUpload('id,name', (n) => `${n},row ${n}`, { rows: 5_000, pauseMs: 10 });
    const { caller, ctx } = h.callerWithContext(owner.principal);
    ctx.upload = slow.upload;
    const run = await caller.imports.start({ workspaceId: ws.id, projectId, table });
    expect(await eventually(async () => (await api.imports.get({ workspaceId: ws.id, projectId, importId: run.id })).rowsRead >= 5)).toBe(true);
    const cancelled = await api.imports.cancel({ workspaceId: ws.id, projectId, importId: run.id });
    expect(cancelled).toMatchObject({ outcome: 'cancelled', rowsWritten: 0, error: { error: 'import_cancelled' } });
    expect(slow.sent()).toBeLessThan(5_000);
    expect(await backend.people(table)).toEqual([BEFORE]);
    const next = await importCsv(`${HEADER}\n${goodRows(1)}`);
    expect(next.run).toMatchObject({ outcome: 'succeeded', rowsWritten: GOOD_ROWS });
  });
});
