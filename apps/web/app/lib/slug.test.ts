import { describe, expect, it } from 'vitest';
import { slugFromName } from './slug';

describe('slugFromName', () => {
  it('makes the slug the API accepts from any name', () => {
    expect(slugFromName('Sales & Ops')).toBe('sales-ops');
    expect(slugFromName('  Ünïcode Café 2026 ')).toBe('unicode-cafe-2026');
    expect(slugFromName('---')).toBe('');
    const long = slugFromName(`${'a'.repeat(63)} b`);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
