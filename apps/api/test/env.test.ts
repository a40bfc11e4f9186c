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

  it('takes HTTP_LISTEN_SOCKETS from 1 to 1,024 (default 128) and names it when out of range', () => {
    expect(loadEnv({}).HTTP_LISTEN_SOCKETS).toBe(128);
    expect(loadEnv({ HTTP_LISTEN_SOCKETS: '1' }).HTTP_LISTEN_SOCKETS).toBe(1);
    for (const value of ['0', '1025', 'many', '2.5']) expect(() => loadEnv({ HTTP_LISTEN_SOCKETS: value })).toThrow(/HTTP_LISTEN_SOCKETS/);
  });

  it('validates REDIS_URL and SESSION_TTL_HOURS', () => {
    expect(loadEnv({}).SESSION_TTL_HOURS).toBe(168);
    expect(() => loadEnv({ SESSION_TTL_HOURS: '0' })).toThrow(/SESSION_TTL_HOURS/);
    expect(() => loadEnv({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
    expect(loadEnv({ REDIS_URL: 'redis://cache:6379' }).REDIS_URL).toBe('redis://cache:6379');
  });

  it('takes RATE_LIMITS overrides bucket by bucket, keeping the seed defaults for the rest', () => {
    const env = loadEnv({ RATE_LIMITS: ' list=600/60, connectionCreate=3/7200 ' });
    expect(env.RATE_LIMITS.list).toEqual({ points: 600, durationSeconds: 60 });
    expect(env.RATE_LIMITS.connectionCreate).toEqual({ points: 3, durationSeconds: 7_200 });
    expect(env.RATE_LIMITS.status).toEqual({ points: 120, durationSeconds: 60 });
    expect(loadEnv({}).RATE_LIMITS.list).toEqual({ points: 60, durationSeconds: 60 });
  });

  it.each([
    ['lists=600/60', /RATE_LIMITS: unknown bucket "lists"/],
    ['list=600', /RATE_LIMITS: bucket "list" must be points\/seconds/],
    ['status=0/60', /RATE_LIMITS: bucket "status" must be points\/seconds with both at least 1/],
    ['poolReset=5/-1', /bucket "poolReset" must be/],
    ['list=10/60,list=20/60', /bucket "list" is set twice/],
    ['constructor=1/1', /unknown bucket "constructor"/],
  ])('refuses RATE_LIMITS=%s naming the bucket', (value, message) => {
    expect(() => loadEnv({ RATE_LIMITS: value })).toThrow(message);
  });
});
