import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../src/env';

describe('loadEnv', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info' });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('names every variable at fault', () => {
    let caught: unknown;
    try {
      loadEnv({ PORT: 'eighty', LOG_LEVEL: 'chatty' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const fields = (caught as EnvError).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['PORT', 'LOG_LEVEL']));
    expect((caught as EnvError).message).toMatch(/PORT/);
  });

  it('refuses a seed password too short to be safe', () => {
    expect(() => loadEnv({ SEED_ADMIN_PASSWORD: 'short' })).toThrow(/SEED_ADMIN_PASSWORD/);
  });
});
