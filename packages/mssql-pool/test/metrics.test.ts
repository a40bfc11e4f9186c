import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkspacePoolManager } from '../src/index';

describe('metrics', () => {
  it('registers Prometheus collectors computed at scrape time, and unregisters them', async () => {
    const m = new WorkspacePoolManager();
    const registry = new Registry();
    const unregister = m.registerMetrics(registry);
    const text = await registry.metrics();
    for (const name of [
      'workspace_pool_pools 0',
      'workspace_pool_connections 0',
      'workspace_pool_created_total 0',
      'workspace_pool_evicted_total{reason="lru"} 0',
      'workspace_pool_acquires_total{result="hit"} 0',
      'workspace_pool_acquire_seconds_bucket{le="+Inf"} 0',
      'workspace_pool_acquire_seconds_count 0',
      '# TYPE workspace_pool_acquire_seconds histogram',
      '# TYPE workspace_pool_driver_errors_total counter',
      'workspace_pool_evicted_total{reason="expired"} 0',
      'workspace_pool_evicted_total{reason="failover"} 0',
      'workspace_pool_failovers_total 0',
      'workspace_pool_verifications_total{outcome="ok"} 0',
      'workspace_pool_verifications_total{outcome="failed"} 0',
    ]) {
      expect(text).toContain(name);
    }
    unregister();
    expect((await registry.metrics()).trim()).toBe('');
    await m.close();
  });

  it('counts verifications at scrape time: a refused one as failed', async () => {
    const m = new WorkspacePoolManager();
    const registry = new Registry();
    m.registerMetrics(registry);
    // Nothing listens on port 1: the verification fails without reaching any server.
    await m.verify({ type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'u', password: 'p' }, { timeoutMs: 2_000 }).catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain('workspace_pool_verifications_total{outcome="ok"} 0');
    expect(text).toContain('workspace_pool_verifications_total{outcome="failed"} 1');
    await m.close();
  });
});
