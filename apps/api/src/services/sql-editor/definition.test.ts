import { describe, expect, it } from 'vitest';
import { declaredParameters, deployableDefinition, renameInDraft } from './definition';
import { identifierProblem, quotedProcedureName } from './identifiers';

const proc = { schema: 'dbo', name: 'Report' };

describe('deployableDefinition', () => {
  it('normalises the header to CREATE OR ALTER PROCEDURE [schema].[name], keeping every line where it was', () => {
    const draft = '-- about\nGO\n\n/* lead */ create\n  proc\n  Report\n  @a int\nAS SELECT @a';
    const deployable = deployableDefinition(draft, proc);
    expect(deployable.startLine).toBe(3);
    expect(deployable.sql).toBe('\n/* lead */ CREATE OR ALTER PROCEDURE [dbo].[Report]\n\n\n  @a int\nAS SELECT @a');
    expect(deployable.sql.split('\n')).toHaveLength(draft.split('\n').length - 2);
  });

  it('matches names case-insensitively and quoted, and refuses another name or a third part', () => {
    expect(deployableDefinition('ALTER PROCEDURE [DBO].[report] AS SELECT 1', proc).sql).toBe('CREATE OR ALTER PROCEDURE [dbo].[Report] AS SELECT 1');
    expect(() => deployableDefinition('CREATE PROCEDURE dbo.Other AS SELECT 1', proc)).toThrow(/defines 'dbo.Other'/);
    expect(() => deployableDefinition('CREATE PROCEDURE db.dbo.Report AS SELECT 1', proc)).toThrow(/at most two parts/);
    expect(() => deployableDefinition("SELECT 'CREATE PROCEDURE Report AS SELECT 1'", proc)).toThrow(/must start with CREATE/);
  });

  it('quotes names with ] doubled, so text in a name never becomes SQL', () => {
    expect(quotedProcedureName({ schema: 'dbo', name: 'x]; DROP TABLE t; --' })).toBe('[dbo].[x]]; DROP TABLE t; --]');
    const odd = { schema: 'dbo', name: 'a]b' };
    expect(deployableDefinition('CREATE PROCEDURE [a]]b] AS SELECT 1', odd).sql).toBe('CREATE OR ALTER PROCEDURE [dbo].[a]]b] AS SELECT 1');
  });
});

describe('identifiers and parameters', () => {
  it('validates procedure names as SQL Server identifiers', () => {
    expect(identifierProblem('GetOrders')).toBeNull();
    expect(identifierProblem('Orders by day ]x')).toBeNull();
    expect(identifierProblem('x'.repeat(129))).toMatch(/128/);
    expect(identifierProblem('')).toMatch(/empty/);
    expect(identifierProblem('a.b')).toMatch(/"\."/);
    expect(identifierProblem('#temp')).toMatch(/temporary/);
    expect(identifierProblem(' padded')).toMatch(/whitespace/);
  });

  it('reads which parameters declare a default from the definition', () => {
    const definition = "CREATE PROCEDURE dbo.P @a INT, @b NVARCHAR(10) = N'x,y' OUTPUT, @c AS DECIMAL(10, 2) = -1.5, @d DATE\nWITH RECOMPILE AS SELECT @a = 1";
    expect(declaredParameters(definition)).toEqual([
      { name: 'a', hasDefault: false },
      { name: 'b', hasDefault: true },
      { name: 'c', hasDefault: true },
      { name: 'd', hasDefault: false },
    ]);
    expect(declaredParameters('CREATE PROCEDURE dbo.P AS SELECT @x = 1')).toEqual([]);
  });

  it('renames the procedure in the draft header only', () => {
    const draft = '-- Report\nCREATE OR ALTER PROCEDURE dbo.Report\nAS\nSELECT 1 AS Report';
    expect(renameInDraft(draft, proc, { schema: 'dbo', name: 'Summary' })).toBe('-- Report\nCREATE OR ALTER PROCEDURE [dbo].[Summary]\nAS\nSELECT 1 AS Report');
    expect(renameInDraft('CREATE PROCEDURE dbo.Other AS SELECT 1', proc, { schema: 'dbo', name: 'Summary' })).toBe('CREATE PROCEDURE dbo.Other AS SELECT 1');
  });
});
