import type { Registry } from 'prom-client';
import type { PoolMetricsSource } from './events';

interface MetricValue {
  labels?: Record<string, string | number>;
  value: number;
  metricName?: string;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A prom-client collector computed at scrape time from the manager's own counters, so the
 * acquire hot path never touches prom-client (label hashing costs more than the acquire itself).
 */
function collector(name: string, help: string, type: MetricType, values: () => MetricValue[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset: () => undefined,
  };
}

export interface MetricsOptions {
  /** Prefix for every metric name. Default `workspace_pool_`. */
  prefix?: string;
  /** Per-pool gauges labelled by workspace and connection (cardinality up to `maxPools`). Default true. */
  perPool?: boolean;
}

/**
 * Register the manager's metrics on `registry` (the API's /metrics registry). Returns a function
 * that removes them again.
 */
export function registerPoolMetrics(manager: PoolMetricsSource, registry: Registry, options: MetricsOptions = {}): () => void {
  const p = options.prefix ?? 'workspace_pool_';
  const perPool = options.perPool ?? true;
  const c = () => manager.counters;
  const metrics = [
    collector(`${p}pools`, 'Pools cached (not counting draining ones).', 'gauge', () => [{ value: manager.poolCount }]),
    collector(`${p}connections`, 'Open connections across all pools.', 'gauge', () => [{ value: manager.totalConnections }]),
    collector(`${p}capacity_waiters`, 'Callers waiting for room under maxPools / maxTotalConnections.', 'gauge', () => [
      { value: manager.stats().totals.capacityWaiters },
    ]),
    collector(`${p}created_total`, 'Pools created.', 'counter', () => [{ value: c().poolsCreated }]),
    collector(`${p}evicted_total`, 'Pools closed, by reason.', 'counter', () =>
      Object.entries(c().poolsEvicted).map(([reason, value]) => ({ labels: { reason }, value })),
    ),
    collector(`${p}create_failures_total`, 'Failed pool logins.', 'counter', () => [{ value: c().createFailures }]),
    collector(`${p}acquires_total`, 'Leases handed out, by cache result.', 'counter', () => [
      { labels: { result: 'hit' }, value: c().acquireHits },
      { labels: { result: 'miss' }, value: c().acquireMisses },
    ]),
    collector(`${p}acquire_timeouts_total`, 'Acquires that timed out.', 'counter', () => [{ value: c().acquireTimeouts }]),
    collector(`${p}health_checks_total`, 'Health checks, by outcome.', 'counter', () => [
      { labels: { outcome: 'ok' }, value: c().healthChecks - c().healthCheckFailures },
      { labels: { outcome: 'failed' }, value: c().healthCheckFailures },
    ]),
    collector(`${p}recoveries_total`, 'Pools that recovered after failures.', 'counter', () => [{ value: c().recoveries }]),
    collector(`${p}circuit_opens_total`, 'Circuits opened.', 'counter', () => [{ value: c().circuitOpens }]),
    collector(`${p}circuit_rejections_total`, 'Acquires failed fast by an open circuit.', 'counter', () => [{ value: c().circuitRejections }]),
    collector(`${p}driver_errors_total`, 'Error events emitted by drivers (all handled).', 'counter', () => [{ value: c().driverErrors }]),
    collector(`${p}failovers_total`, 'Pools that moved to (or opened on) another server because the one tried first refused logins or died.', 'counter', () => [
      { value: c().failovers },
    ]),
    collector(`${p}verifications_total`, 'New settings checked by a login before any caller moved to them (saves, settings changes, lifetime renewals), by outcome.', 'counter', () => [
      { labels: { outcome: 'ok' }, value: c().verifications - c().verificationFailures },
      { labels: { outcome: 'failed' }, value: c().verificationFailures },
    ]),
    collector(`${p}acquire_seconds`, 'Time to get a lease (cache hits are recorded as 0).', 'histogram', () => {
      const h = manager.stats().acquire;
      const values: MetricValue[] = h.buckets.map((b) => ({
        metricName: `${p}acquire_seconds_bucket`,
        labels: { le: Number.isFinite(b.le) ? b.le / 1000 : '+Inf' },
        value: b.count,
      }));
      values.push({ metricName: `${p}acquire_seconds_sum`, value: h.sumMs / 1000 });
      values.push({ metricName: `${p}acquire_seconds_count`, value: h.count });
      return values;
    }),
  ];
  if (perPool) {
    const poolGauge = (field: 'size' | 'borrowed' | 'idle' | 'waiters' | 'poolSize', name: string, help: string) =>
      collector(`${p}${name}`, help, 'gauge', () =>
        manager.stats().pools.map((pool) => ({
          labels: { workspace_id: pool.workspaceId, connection_id: pool.connectionId, type: pool.type, state: pool.state },
          value: pool[field],
        })),
      );
    metrics.push(
      poolGauge('size', 'pool_connections', 'Open connections in the pool.'),
      poolGauge('borrowed', 'pool_borrowed', 'Connections in use.'),
      poolGauge('idle', 'pool_idle', 'Idle connections.'),
      poolGauge('waiters', 'pool_waiters', 'Requests waiting for a connection.'),
      poolGauge('poolSize', 'pool_max', 'Maximum connections in the pool.'),
      collector(`${p}pool_tls`, 'TLS of the pool\'s latest connection (1 per pool): encryption mode, protocol (plain when unencrypted), cipher, verified.', 'gauge', () =>
        manager.stats().pools.map((pool) => ({
          labels: {
            workspace_id: pool.workspaceId,
            connection_id: pool.connectionId,
            type: pool.type,
            encryption: pool.encryption,
            protocol: pool.tls === null ? 'unknown' : pool.tls.encrypted ? pool.tls.protocol : 'plain',
            cipher: pool.tls?.encrypted ? pool.tls.cipher : '',
            verified: String(pool.tls?.encrypted === true && pool.tls.authorized),
          },
          value: 1,
        })),
      ),
      collector(`${p}pool_tls_certificate_expiry_timestamp_seconds`, 'When the server certificate of the pool\'s latest connection expires (Unix time).', 'gauge', () =>
        manager.stats().pools.flatMap((pool) =>
          pool.tls?.encrypted && pool.tls.certificate
            ? [{ labels: { workspace_id: pool.workspaceId, connection_id: pool.connectionId, type: pool.type }, value: Date.parse(pool.tls.certificate.validTo) / 1000 }]
            : [],
        ),
      ),
    );
  }
  for (const metric of metrics) registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  return () => {
    for (const metric of metrics) registry.removeSingleMetric(metric.name);
  };
}
