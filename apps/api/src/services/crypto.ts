// Credentials at rest: AES-256-GCM under a versioned key ring. The newest key encrypts; every
// key in the ring decrypts, so keys can be rotated without downtime (`pnpm keys:rotate`).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'gcm1';

export class KeyRingError extends Error {
  constructor(
    readonly code: 'invalid_key_ring' | 'unknown_key_version' | 'decryption_failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyRingError';
  }
}

export interface EncryptedValue {
  /** `gcm1:<version>:<iv>:<tag>:<ciphertext>`, base64url parts. */
  ciphertext: string;
  keyVersion: number;
}

export class KeyRing {
  readonly #keys: Map<number, Buffer>;
  readonly currentVersion: number;

  private constructor(keys: Map<number, Buffer>) {
    this.#keys = keys;
    this.currentVersion = Math.max(...keys.keys());
  }

  /**
   * Parses `ENCRYPTION_KEYS`: comma-separated `<version>:<base64 32-byte key>` entries, e.g.
   * `2:q1w2...,1:a9s8...`. Errors never echo key material.
   */
  static parse(spec: string): KeyRing {
    const keys = new Map<number, Buffer>();
    const entries = spec.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (entries.length === 0) throw new KeyRingError('invalid_key_ring', 'ENCRYPTION_KEYS holds no keys');
    for (const [index, entry] of entries.entries()) {
      const match = /^(\d{1,6}):([A-Za-z0-9+/_=-]+)$/.exec(entry);
      if (!match?.[1] || !match[2]) {
        throw new KeyRingError('invalid_key_ring', `ENCRYPTION_KEYS entry ${index + 1} must look like <version>:<base64 key>`);
      }
      const version = Number(match[1]);
      const key = Buffer.from(match[2], 'base64');
      if (key.length !== KEY_BYTES) {
        throw new KeyRingError('invalid_key_ring', `ENCRYPTION_KEYS key version ${version} must decode to ${KEY_BYTES} bytes, got ${key.length}`);
      }
      if (version < 1) throw new KeyRingError('invalid_key_ring', 'ENCRYPTION_KEYS versions start at 1');
      if (keys.has(version)) throw new KeyRingError('invalid_key_ring', `ENCRYPTION_KEYS lists version ${version} twice`);
      keys.set(version, key);
    }
    return new KeyRing(keys);
  }

  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  get versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => b - a);
  }

  /**
   * `context` is bound as additional authenticated data (e.g. `connection:<id>:password`), so a
   * ciphertext copied onto another row or field fails to decrypt.
   */
  encrypt(plaintext: string, context: string): EncryptedValue {
    const key = this.#keys.get(this.currentVersion) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const parts = [FORMAT, String(this.currentVersion), iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')];
    return { ciphertext: parts.join(':'), keyVersion: this.currentVersion };
  }

  decrypt(ciphertext: string, context: string): string {
    const parts = ciphertext.split(':');
    if (parts.length !== 5 || parts[0] !== FORMAT) {
      throw new KeyRingError('decryption_failed', 'stored credential has an unknown format');
    }
    const version = Number(parts[1]);
    const key = this.#keys.get(version);
    if (!key) throw new KeyRingError('unknown_key_version', `stored credential uses key version ${version}, which is not in ENCRYPTION_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[2] as string, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(parts[3] as string, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(parts[4] as string, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new KeyRingError('decryption_failed', 'stored credential failed authentication (wrong key or tampered value)', { cause: error });
    }
  }

  /** The version a stored ciphertext was written with, without decrypting it. */
  static versionOf(ciphertext: string): number | undefined {
    const parts = ciphertext.split(':');
    return parts[0] === FORMAT ? Number(parts[1]) : undefined;
  }

  /** Never print keys, whatever logs or inspects this object. */
  toJSON(): { versions: number[]; currentVersion: number } {
    return { versions: this.versions, currentVersion: this.currentVersion };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `KeyRing { versions: [${this.versions.join(', ')}], current: ${this.currentVersion} }`;
  }
}
