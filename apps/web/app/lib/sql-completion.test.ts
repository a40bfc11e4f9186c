import { describe, expect, it } from 'vitest';
import { quoteName, sqlCompletions, type CompletionCatalogue } from './sql-completion';

const mssql: CompletionCatalogue = {
  type: 'mssql',
  schemas: [
    {
      name: 'dbo',
      tables: [
        { name: 'orders', kind: 'table', columns: [{ name: 'id', dataType: 'int' }, { name: 'customer', dataType: 'nvarchar(80)' }] },
        { name: 'order lines', kind: 'table', columns: [{ name: 'sku', dataType: 'nvarchar(20)' }] },
      ],
      routines: [{ name: 'orders_of', kind: 'procedure' }],
    },
    { name: 'sales', tables: [{ name: 'invoices', kind: 'view', columns: [{ name: 'amount', dataType: 'money' }] }], routines: [] },
  ],
};

const at = (text: string, catalogue = mssql) => {
  const pos = text.indexOf('|');
  const doc = text.replace('|', '');
  const result = sqlCompletions(doc, pos, catalogue);
  return { result, labels: result?.options.map((o) => o.label) ?? [], doc };
};

describe('completion from the live schema', () => {
  it('after `dbo.` offers only that schema’s tables and procedures: `dbo.ord` never becomes ORDER', () => {
    const { result, labels } = at('SELECT * FROM dbo.ord|');
    expect(labels).toEqual(['orders', 'order lines', 'orders_of']);
    expect(labels).not.toContain('ORDER BY');
    expect(result!.from).toBe('SELECT * FROM dbo.'.length);
    expect(result!.options.find((o) => o.label === 'order lines')?.apply).toBe('[order lines]');
  });

  it('offers tables after FROM and JOIN, qualified outside the default schema', () => {
    expect(at('SELECT * FROM o|').labels).toEqual(expect.arrayContaining(['orders', 'sales', 'sales.invoices']));
    expect(at('SELECT * FROM orders o JOIN or|').labels).toContain('orders');
    expect(at('SELECT * FROM o|').labels).not.toContain('SELECT');
  });

  it('offers the columns of the tables in scope, by alias after a dot and unqualified elsewhere', () => {
    expect(at('SELECT o.| FROM dbo.orders AS o').labels).toEqual(['id', 'customer']);
    expect(at('SELECT i.am| FROM sales.invoices i').labels).toEqual(['amount']);
    const unqualified = at('SELECT cu| FROM orders WHERE id = 1').labels;
    expect(unqualified.slice(0, 2)).toEqual(['id', 'customer']);
    expect(unqualified).toContain('SELECT');
  });

  it('offers procedures after EXEC', () => {
    expect(at('EXEC ord|').labels).toEqual(['orders_of']);
    expect(at('EXEC dbo.|').labels).toEqual(['orders_of']);
  });

  it('offers nothing after an unknown qualifier instead of keywords', () => {
    expect(at('SELECT x.| FROM orders').result).toBeNull();
  });

  it('quotes names per dialect only when needed', () => {
    expect(quoteName('orders', 'postgres')).toBe('orders');
    expect(quoteName('Order Lines', 'postgres')).toBe('"Order Lines"');
    expect(quoteName('order lines', 'mysql')).toBe('`order lines`');
    expect(quoteName('a]b', 'mssql')).toBe('[a]]b]');
  });

  it('uses public as PostgreSQL’s default schema and LIMIT as its keyword', () => {
    const pg: CompletionCatalogue = { type: 'postgres', schemas: [{ name: 'public', tables: [{ name: 'orders', kind: 'table', columns: [{ name: 'total', dataType: 'numeric' }] }], routines: [] }] };
    expect(at('SELECT * FROM or|', pg).labels).toEqual(['orders']);
    expect(at('SELECT * FROM orders LI|', pg).labels).toContain('LIMIT');
    expect(at('SELECT * FROM orders LI|', pg).labels).not.toContain('TOP');
  });
});
