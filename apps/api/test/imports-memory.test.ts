// The test-sized variant of "a 1 GiB CSV imports with the API's RSS growing < 150 MB": a 100 MiB
// file, generated as it is sent (so the file itself is never in memory), imports into the
// machine's PostgreSQL while this process's RSS grows by less than 60 MB.
import { Readable } from 'node:stream';
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';
import { importWorkspace, requireImportBackendsInCi, useImportBackends } from './support/imports';

const { backends, missing } = useImportBackends();
requireImportBackendsInCi(missing);
const postgres = backends.find((backend) => backend.name === 'postgres');
const FILE_BYTES = 100 * 1024 ** 2;
const RSS_LIMIT_MB = 60;

function generated(bytes: number): { stream: Readable; rows: () => number } {
  let sent = 0;
  let rows = 0;
  async function* chunks() {
    yield Buffer.from('id,name,note\n');
    while (sent < bytes) {
      let chunk = '';
      while (chunk.length < 64 * 1024) {
        rows += 1;
        chunk += `${rows},"name, ${rows}",a note that makes the row longer than a few bytes ${rows}\n`;
      }
      sent += chunk.length;
      yield Buffer.from(chunk);
    }
  }
  return { stream: Readable.from(chunks()), rows: () => rows };
}

describe.runIf(postgres)('import memory', () => {
  const h = useHarness(testTargets[0]!);

  it(`imports a ${FILE_BYTES / 1024 ** 2} MiB file with RSS growing by less than ${RSS_LIMIT_MB} MB`, { timeout: 300_000 }, async () => {
    const backend = postgres!;
    const { ws, owner, connectionId } = await importWorkspace(h, backend);
    const table = await backend.peopleTable();
    const project = await h.caller(owner.principal).projects.create({ workspaceId: ws.id, name: `memory-${table}`, connectionId });
    const { caller, ctx } = h.callerWithContext(owner.principal);
    const file = generated(FILE_BYTES);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      ctx.upload = { stream: file.stream, fileName: 'big.csv' };
      const started = await caller.imports.start({ workspaceId: ws.id, projectId: project.id, table });
      await h.services.imports.settled(started.id);
      const run = await caller.imports.get({ workspaceId: ws.id, projectId: project.id, importId: started.id });
      expect(run).toMatchObject({ outcome: 'succeeded', rowsWritten: file.rows() });
      expect(run.fileBytes).toBeGreaterThanOrEqual(FILE_BYTES);
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peak - baseline) / 1024 ** 2;
    expect(growthMb, `RSS ${(baseline / 1024 ** 2).toFixed(0)} MB → peak ${(peak / 1024 ** 2).toFixed(0)} MB`).toBeLessThan(RSS_LIMIT_MB);
  });
});
