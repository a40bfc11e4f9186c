import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KeyRing, KeyRingError } from './crypto';

const k1 = KeyRing.generateKey();
const k2 = KeyRing.generateKey();

describe('KeyRing', () => {
  it('round-trips with the newest key and keeps decrypting older versions', () => {
    const old = KeyRing.parse(`1:${k1}`);
    const stored = old.encrypt('p@ssw0rd-ü', 'connection:abc:password');
    expect(stored.keyVersion).toBe(1);
    expect(stored.ciphertext).not.toContain('p@ssw0rd');

    const rotated = KeyRing.parse(`2:${k2},1:${k1}`);
    expect(rotated.currentVersion).toBe(2);
    expect(rotated.decrypt(stored.ciphertext, 'connection:abc:password')).toBe('p@ssw0rd-ü');
    const again = rotated.encrypt('p@ssw0rd-ü', 'connection:abc:password');
    expect(again.keyVersion).toBe(2);
    expect(KeyRing.versionOf(again.ciphertext)).toBe(2);
  });

  it('uses a fresh IV every time', () => {
    const ring = KeyRing.parse(`1:${k1}`);
    expect(ring.encrypt('same', 'ctx').ciphertext).not.toBe(ring.encrypt('same', 'ctx').ciphertext);
  });

  it('refuses a ciphertext moved to another row or tampered with', () => {
    const ring = KeyRing.parse(`1:${k1}`);
    const { ciphertext } = ring.encrypt('secret', 'connection:a:password');
    expect(() => ring.decrypt(ciphertext, 'connection:b:password')).toThrow(KeyRingError);
    const parts = ciphertext.split(':');
    parts[4] = Buffer.from('forged').toString('base64url');
    expect(() => ring.decrypt(parts.join(':'), 'connection:a:password')).toThrow(/tampered/);
  });

  it('names a retired key version', () => {
    const stored = KeyRing.parse(`1:${k1}`).encrypt('secret', 'ctx');
    expect(() => KeyRing.parse(`2:${k2}`).decrypt(stored.ciphertext, 'ctx')).toThrow(/key version 1/);
  });

  it('rejects malformed rings without echoing key material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    for (const spec of ['', 'nokey', `1:${short}`, `1:${k1},1:${k2}`, `0:${k1}`]) {
      let error: unknown;
      try {
        KeyRing.parse(spec);
      } catch (e) {
        error = e;
      }
      expect(error, spec).toBeInstanceOf(KeyRingError);
      expect((error as Error).message).not.toContain(short);
      expect((error as Error).message).not.toContain(k1);
    }
  });

  it('never reveals keys through JSON or inspect', () => {
    const ring = KeyRing.parse(`2:${k2},1:${k1}`);
    const shown = JSON.stringify(ring) + inspect(ring, { showHidden: true, depth: 5 });
    expect(shown).not.toContain(k1);
    expect(shown).not.toContain(k2);
    expect(shown).toContain('2');
  });
});
