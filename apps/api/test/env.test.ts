import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../src/env';
import { KeyRing } from '../src/services/crypto';

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

  it('requires ENCRYPTION_KEYS in production and validates it without echoing it', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' })).toThrow(/ENCRYPTION_KEYS: is required when NODE_ENV=production/);
    const key = KeyRing.generateKey();
    expect(loadEnv({ NODE_ENV: 'production', ENCRYPTION_KEYS: `1:${key}` }).ENCRYPTION_KEYS).toBe(`1:${key}`);
    const short = Buffer.alloc(8, 1).toString('base64');
    let caught: unknown;
    try {
      loadEnv({ ENCRYPTION_KEYS: `1:${short}` });
    } catch (error) {
      caught = error;
    }
    expect((caught as EnvError).issues.map((i) => i.field)).toEqual(['ENCRYPTION_KEYS']);
    expect((caught as Error).message).not.toContain(short);
  });

  it('allows loopback outbound by default only outside production, and parses allow/deny lists', () => {
    expect(loadEnv({}).OUTBOUND_ALLOW_LOOPBACK).toBe(true);
    expect(loadEnv({ NODE_ENV: 'production', ENCRYPTION_KEYS: `1:${KeyRing.generateKey()}` }).OUTBOUND_ALLOW_LOOPBACK).toBe(false);
    expect(loadEnv({ OUTBOUND_ALLOW_LOOPBACK: 'false' }).OUTBOUND_ALLOW_LOOPBACK).toBe(false);
    const env = loadEnv({ OUTBOUND_ALLOW: '10.0.0.0/8, *.corp.example', OUTBOUND_DENY: '' });
    expect(env.OUTBOUND_ALLOW).toEqual(['10.0.0.0/8', '*.corp.example']);
    expect(env.OUTBOUND_DENY).toEqual([]);
    expect(() => loadEnv({ OUTBOUND_DENY: 'not a host!' })).toThrow(/OUTBOUND_DENY/);
  });

  it('validates REDIS_URL and SESSION_TTL_HOURS', () => {
    expect(loadEnv({}).SESSION_TTL_HOURS).toBe(168);
    expect(() => loadEnv({ SESSION_TTL_HOURS: '0' })).toThrow(/SESSION_TTL_HOURS/);
    expect(() => loadEnv({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
    expect(loadEnv({ REDIS_URL: 'redis://cache:6379' }).REDIS_URL).toBe('redis://cache:6379');
  });
});
