import { ENCRYPTION_MODES } from '@studio/api';
import { describe, expect, it } from 'vitest';
import { checksCertificate, defaultEncryption, encryptionChoices, encryptionWarningOf } from './encryption';

describe('encryption choices', () => {
  it("offer exactly the API's modes of each type, and default to one of them", () => {
    for (const type of ['mssql', 'postgres', 'mysql'] as const) {
      expect(encryptionChoices[type].map((c) => c.mode).sort()).toEqual([...ENCRYPTION_MODES[type]].sort());
      expect(ENCRYPTION_MODES[type]).toContain(defaultEncryption[type]);
    }
  });

  it('warn on every choice that leaves the password readable or the server unchecked, and only then', () => {
    const warned = (type: 'mssql' | 'postgres' | 'mysql', mode: string, trust = false) => encryptionWarningOf(type, mode, checksCertificate(type, mode, trust))?.label ?? null;
    expect(warned('mssql', 'off')).toBe('Not encrypted');
    expect(warned('mssql', 'required')).toBeNull();
    expect(warned('mssql', 'required', true)).toBe('Certificate not checked');
    expect(warned('mssql', 'strict')).toBeNull();
    expect(warned('postgres', 'disable')).toBe('Not encrypted');
    expect(warned('postgres', 'require')).toBe('Certificate not checked');
    expect(warned('postgres', 'verify-ca')).toBeNull();
    expect(warned('mysql', 'required')).toBe('Certificate not checked');
    expect(warned('mysql', 'verify-identity')).toBeNull();
  });
});
