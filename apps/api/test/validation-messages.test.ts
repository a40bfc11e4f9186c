// Item 10 of issue 16: refused input is explained in plain language naming the field, never with
// zod's own wording ("Too small: expected string to have >=1 characters", "expected number,
// received NaN"); a schema's own message still wins.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';

const ZOD_WORDING = /Too small|Too big|expected (string|number|boolean)|received|>=|<=|Invalid input: expected|Invalid option|Unrecognized key/;

describe.each(testTargets)('plain validation messages on $name', (target) => {
  const h = useHarness(target);
  const valid = { name: 'main', type: 'mssql' as const, host: '10.0.0.5', port: 1433, database: 'db', user: 'sa', password: 'pw-123456' };

  it.each([
    ['an empty name', { name: '' }, 'name', 'must not be empty'],
    ['a port that is not a number', { port: Number('abc') }, 'port', 'must be a number'],
    ['a port out of range', { port: 70_000 }, 'port', 'must be at most 65535'],
    ['a missing host', { host: undefined }, 'host', 'is required'],
    ['an unknown type', { type: 'oracle' }, 'type', 'must be one of mssql'],
    ['a pool of none', { options: { poolSize: 0 } }, 'options.poolSize', 'must be at least 1'],
  ])('%s: the field and a plain sentence', async (_case, patch, path, sentence) => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const problem = await problemOf(h.caller(owner.principal).connections.create({ workspaceId: ws.id, ...valid, ...patch } as typeof valid & { workspaceId: string }));
    expect(problem).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    const field = (problem.details.fields as { path: string; message: string }[]).find((f) => f.path === path);
    expect(field?.message).toContain(sentence);
    expect(problem.message).toContain(`${path}: ${sentence}`);
    expect(problem.message).not.toMatch(ZOD_WORDING);
  });

  it("keeps a schema's own message", async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const connection = await h.caller(owner.principal).connections.create({ workspaceId: ws.id, ...valid });
    const problem = await problemOf(h.caller(owner.principal).console.run({ workspaceId: ws.id, connectionId: connection.id, sql: '   ' }));
    expect(problem.message).toContain('sql: the query text is empty');
  });
});
