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
    ]) {
      expect(text).toContain(name);
    }
    unregister();
    expect((await registry.metrics()).trim()).toBe('');
    await m.close();
  });
});
