import { describe, expect, it } from 'vitest';
import { PoolOptionsError, WorkspacePoolManager, type ConnectionTarget } from '../src/index';

const target: ConnectionTarget = {
  workspaceId: 'ws1',
  connectionId: 'c1',
  type: 'mssql',
  host: '127.0.0.1',
  port: 1,
  database: 'db',
  user: 'sa',
  password: 'opt-test-password',
};

function optionsError(fn: () => unknown): PoolOptionsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PoolOptionsError) return error;
    throw error;
  }
  throw new Error('expected a PoolOptionsError');
}

describe('options', () => {
  it('applies documented defaults', async () => {
    const m = new WorkspacePoolManager();
    expect(m.options).toMatchObject({
      maxPools: 100,
      maxTotalConnections: 500,
      defaultPoolSize: 10,
      idleTimeoutMs: 30 * 60 * 1000,
      healthCheckBypassMs: 500,
      failureThreshold: 5,
      validateConnection: 'socket',
    });
    await m.close();
  });

  it('rejects unknown keys, naming them', () => {
    const error = optionsError(() => new WorkspacePoolManager({ maxPool: 5 } as never));
    expect(error.field).toBe('maxPool');
    expect(error.code).toBe('POOL_OPTIONS');
    expect(error.message).toContain('unknown option');
  });

  it('rejects invalid values, naming the field', () => {
    expect(optionsError(() => new WorkspacePoolManager({ maxPools: 0 })).field).toBe('maxPools');
    expect(optionsError(() => new WorkspacePoolManager({ idleTimeoutMs: -1 })).field).toBe('idleTimeoutMs');
    expect(optionsError(() => new WorkspacePoolManager({ validateConnection: 'sometimes' as never })).field).toBe('validateConnection');
    expect(optionsError(() => new WorkspacePoolManager({ adapters: { oracle: {} } as never })).field).toBe('adapters.oracle');
  });

  it('checks options against each other', () => {
    expect(optionsError(() => new WorkspacePoolManager({ defaultPoolSize: 20, maxTotalConnections: 10 })).field).toBe('defaultPoolSize');
    expect(optionsError(() => new WorkspacePoolManager({ retryBaseDelayMs: 500, retryMaxDelayMs: 100 })).field).toBe('retryBaseDelayMs');
  });

  it('validates connection targets on first use, naming the field, without echoing the password', async () => {
    const m = new WorkspacePoolManager();
    const bad = await m.acquire({ ...target, options: { poolSize: 0 } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PoolOptionsError);
    expect((bad as PoolOptionsError).field).toBe('target.options.poolSize');
    const unknown = await m.acquire({ ...target, options: { poolsize: 3 } as never }).catch((e: unknown) => e);
    expect((unknown as PoolOptionsError).field).toBe('target.options');
    const colon = await m.acquire({ ...target, workspaceId: 'a:b' }).catch((e: unknown) => e);
    expect((colon as PoolOptionsError).field).toBe('target.workspaceId');
    const wrongType = await m.acquire({ ...target, password: 42 as never }).catch((e: unknown) => e);
    expect((wrongType as PoolOptionsError).field).toBe('target.password');
    for (const e of [bad, unknown, colon, wrongType]) expect(String((e as Error).message)).not.toContain(target.password);
    await m.close();
  });

  it('keys pools by workspace, connection and a settings fingerprint that hides the password', async () => {
    const m = new WorkspacePoolManager();
    const key = m.keyOf(target);
    expect(key).toMatch(/^ws1:c1:[0-9a-f]{16}$/);
    expect(m.keyOf({ ...target, port: 1 })).toBe(key);
    expect(m.keyOf({ ...target, password: 'other' })).not.toBe(key);
    expect(m.keyOf({ ...target, options: { requestTimeoutMs: 1000 } })).not.toBe(key);
    // Per-manager HMAC key: another process (or manager) cannot match fingerprints.
    const other = new WorkspacePoolManager();
    expect(other.keyOf(target)).not.toBe(key);
    await Promise.all([m.close(), other.close()]);
  });
});
