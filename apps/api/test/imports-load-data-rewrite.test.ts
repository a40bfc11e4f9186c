// The byte rewrite in front of MariaDB's LOAD DATA: what it sends for each CSV shape, and that a file
// cut into chunks anywhere (a CR LF, a NULL word, a lone "" record split between two reads) is
// rewritten the same as in one piece.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LoadDataRewriter } from '../src/services/imports/mysql-passthrough';
import { csvSettingsSchema } from '../src/services/imports/project-config';

async function rewrite(bytes: Buffer, chunkSize = bytes.length): Promise<{ text: string; rows: number; lines: number[] }> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const rewriter = new LoadDataRewriter(csvSettingsSchema.parse({}));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(rewriter)) out.push(chunk as Buffer);
  return { text: Buffer.concat(out).toString('utf8'), rows: rewriter.rows, lines: Array.from({ length: rewriter.rows }, (_, i) => rewriter.lineOf(i + 1)) };
}

const FILE = Buffer.from(
  '\uFEFFid,name,"no\r\nte"\r\n' +
    '1,"Smith, Jane","line one\r\nline two"\r\n' +
    '\r\n' +
    '2,,""\r\n' +
    '""\r\n' +
    '3,NULL,NUL\r\n' +
    '4,"NULL",NULLS\r\n' +
    '5,a\\b,"x""y"""\r\n' +
    '6,a\rb,last',
  'utf8',
);

describe('LoadDataRewriter', () => {
  it('drops the BOM, the header, empty and lone "" lines; writes empty unquoted fields as NULL and quotes the NULL word', async () => {
    const { text, rows, lines } = await rewrite(FILE);
    expect(text).toBe('1,"Smith, Jane","line one\r\nline two"\n' + '2,NULL,""\n' + '3,"NULL",NUL\n' + '4,"NULL",NULLS\n' + '5,a\\b,"x""y"""\n' + '6,a\rb,last\n');
    expect(rows).toBe(6);
    expect(lines).toEqual([3, 6, 8, 9, 10, 11]);
  });

  it('rewrites a file cut into chunks of any size the same way', async () => {
    const whole = await rewrite(FILE);
    for (const size of [1, 2, 3, 5, 7]) expect(await rewrite(FILE, size)).toEqual(whole);
  });

  it('refuses what csv-parse refuses: a quote inside an unquoted field, text after a closing quote, an unclosed quote', async () => {
    for (const broken of ['a,b\n1,x"y\n', 'a,b\n1,"x"y\n', 'a,b\n1,"x\n']) {
      await expect(rewrite(Buffer.from(broken))).rejects.toMatchObject({ code: 'file_unreadable', details: { field: 'file' } });
    }
  });
});
