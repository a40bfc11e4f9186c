import { describe, expect, it } from 'vitest';
import { defaultEnvironmentText, lastMigrationRunText, plural } from './words';

describe('words', () => {
  it('counts in the singular for one and the plural otherwise', () => {
    expect(plural(1, 'pool')).toBe('1 pool');
    expect(plural(0, 'pool')).toBe('0 pools');
    expect(plural(2, 'pool')).toBe('2 pools');
    expect(plural(2, 'query', 'queries')).toBe('2 queries');
  });

  it('names the default environment, and never says "no default is the default"', () => {
    expect(defaultEnvironmentText([{ name: 'Production', isDefault: true }, { name: 'Staging', isDefault: false }])).toBe('Production is the default');
    expect(defaultEnvironmentText([])).toBe('None yet');
    expect(defaultEnvironmentText([{ name: 'Staging', isDefault: false }])).toBe('None is the default');
  });

  it('says what the last migration run did without repeating the operation', () => {
    expect(lastMigrationRunText({ operation: 'apply', outcome: 'applied', from: 2, to: 3 })).toBe('Applied: version 2 → 3');
    expect(lastMigrationRunText({ operation: 'rollback', outcome: 'rolled_back', from: 3, to: 2 })).toBe('Rolled back: version 3 → 2');
    expect(lastMigrationRunText({ operation: 'apply', outcome: 'current', from: 3, to: 3 })).toBe('Nothing to apply: already current');
    expect(lastMigrationRunText({ operation: 'apply', outcome: 'failed', from: 2, to: 2 })).toBe('Applying failed');
    expect(lastMigrationRunText({ operation: 'apply', outcome: 'applied', from: null, to: 3 })).not.toMatch(/apply applied/i);
  });
});
