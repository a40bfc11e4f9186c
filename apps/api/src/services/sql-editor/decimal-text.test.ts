// Exact decimals from the driver (numbers) as text with the column's scale: what the SQL editor and
// the console show for decimal/numeric/money, exponents written out.
import { describe, expect, it } from 'vitest';
import { decimalText } from './types';

describe('decimalText', () => {
  it.each([
    [1.5, 2, '1.50'],
    [-1.5, 2, '-1.50'],
    [15, 2, '15.00'],
    [0, 4, '0.0000'],
    [-0, 2, '0.00'],
    [0.125, 2, '0.125'],
    [12.345, 0, '12.345'],
    [12.345, null, '12.345'],
    [1e-7, 4, '0.0000'],
    [1.25e-7, 10, '0.0000001250'],
    [5e-324, 0, '0'],
    [123456789.5, 38, '123456789.50000000000000000000000000000000000000'],
  ])('writes %s at scale %s as %s', (value, scale, text) => {
    expect(decimalText(value, scale)).toBe(text);
  });
});
