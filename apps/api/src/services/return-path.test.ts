import { describe, expect, it } from 'vitest';
import { returnPathProblem, safeReturnPath } from './return-path';

describe('return paths', () => {
  it('follows a path on this site and falls back for anywhere else', () => {
    expect(safeReturnPath('/w/twsbp/sql?tab=1#x')).toBe('/w/twsbp/sql?tab=1#x');
    for (const elsewhere of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'relative', '/\t/evil.example']) {
      expect(safeReturnPath(elsewhere), elsewhere).toBe('/');
    }
  });

  it('names control characters and text no header can carry as input errors; well-formed addresses are not errors', () => {
    for (const broken of ['/\t/evil.example', '/w\nSet-Cookie: x=1', '/w\r', '/w\u0000', '/w\u007f']) {
      expect(returnPathProblem(broken), JSON.stringify(broken)).toBe('must be a path on this site, without control characters');
    }
    expect(returnPathProblem('/w/\u5de5\u4f5c')).toBe('must be a path on this site; non-ASCII text must be percent-encoded');
    for (const fine of [undefined, null, '/', '/w/%E5%B7%A5', '//evil.example', 'https://evil.example/', '/caf\u00e9']) {
      expect(returnPathProblem(fine), String(fine)).toBeUndefined();
    }
  });
});
