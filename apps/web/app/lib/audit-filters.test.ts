import { describe, expect, it } from 'vitest';
import { auditFiltersOf, csvLine } from './audit-filters';

describe('audit filters', () => {
  it('reads the page query and names an inverted range at "to"', () => {
    const { filters, fieldErrors } = auditFiltersOf(new URLSearchParams('action=%20procedure%20&outcome=nonsense&from=2026-01-02&to=2026-01-01'));
    expect(filters.action).toBe('procedure');
    expect(filters.outcome).toBeUndefined();
    expect(fieldErrors.to).toMatch(/inverted/);
    expect(auditFiltersOf(new URLSearchParams('from=2026-01-01&to=2026-01-01')).fieldErrors).toEqual({});
    expect(auditFiltersOf(new URLSearchParams('from=2026-13-45')).filters.from).toBeUndefined();
  });

  it('writes CSV fields quoted when needed, and formulas inert', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', null, '=SUM(A1)', '-1', '@x'])).toBe(`a,"b,c","say ""hi""",,'=SUM(A1),'-1,'@x\r\n`);
  });
});
