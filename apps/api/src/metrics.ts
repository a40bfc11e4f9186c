// Prometheus metrics of one API process (MISSION F11), on a Registry of its own rather than
// prom-client's global one, so two apps in one process (tests, two instances) never collide.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Problem } from './problem';
import type { AppServices } from './services/index';

/** A request slower than this counts in studio_http_slow_requests_total. */
export const SLOW_REQUEST_SECONDS = 1;

export type ErrorTransport = 'trpc' | 'rest';

export class ApiMetrics {
  readonly registry = new Registry();

  readonly #requests = new Counter({
    name: 'studio_http_requests_total',
    help: 'HTTP requests answered, by method, route template (tRPC procedure path or REST template, never raw ids) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly #duration = new Histogram({
    name: 'studio_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly #slow = new Counter({
    name: 'studio_http_slow_requests_total',
    help: `Requests that took longer than ${SLOW_REQUEST_SECONDS}s (connection tests, pool logins and workspace queries show up here), by method and route.`,
    labelNames: ['method', 'route'] as const,
    registers: [this.registry],
  });

  readonly #errors = new Counter({
    name: 'studio_errors_total',
    help: 'Failures answered, by F10 error code (invalid_input, forbidden, rate_limited, internal_error, …) and transport.',
    labelNames: ['error', 'transport'] as const,
    registers: [this.registry],
  });

  readonly #rateLimited = new Counter({
    name: 'studio_rate_limit_rejections_total',
    help: 'Calls refused by a rate limit, by bucket (connectionCreate, connectionTest, list, …).',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });

  readonly #auditFailures = new Counter({
    name: 'studio_audit_write_failures_total',
    help: 'Audit rows that could not be written after the fact (denials, reads, sign-ins); a change is never acknowledged without its row.',
    registers: [this.registry],
  });

  readonly #outages = new Counter({
    name: 'studio_dependency_outages_total',
    help: 'Outages of the system database or Redis seen by this instance (one per outage, not per failed call).',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'studio_' });
  }

  /**
   * Records the request when its response is finished (or the client went away). `routes` gives
   * the label(s): a batched tRPC call counts once per procedure, each with the batch's duration.
   */
  observe(req: IncomingMessage, res: ServerResponse, routes: () => string | readonly string[]): void {
    const started = process.hrtime.bigint();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = req.method ?? 'GET';
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      const labelled = routes();
      for (const route of typeof labelled === 'string' ? [labelled] : labelled) {
        const labels = { method, route, status };
        this.#requests.inc(labels);
        this.#duration.observe(labels, seconds);
        if (seconds > SLOW_REQUEST_SECONDS) this.#slow.inc({ method, route });
      }
    };
    res.once('finish', record);
    res.once('close', record);
  }

  problem(problem: Problem, transport: ErrorTransport): void {
    this.#errors.inc({ error: problem.error, transport });
  }

  /** Pool collectors and the rate-limit listener of a started app; returns their removal. */
  attach(services: Pick<AppServices, 'pools' | 'rateLimits' | 'audit' | 'outages' | 'backups'>): () => void {
    const removePools = services.pools.registerMetrics(this.registry);
    const removeListener = services.rateLimits.onRejection((bucket) => this.#rateLimited.inc({ bucket }));
    const removeAudit = services.audit.onWriteFailure(() => this.#auditFailures.inc());
    const backups = services.backups;
    new Gauge({
      name: 'studio_backup_last_success_timestamp',
      help: 'Unix time (seconds) of the last successful system database backup by any instance; 0 = none yet. Alert when it falls behind BACKUP_SCHEDULE.',
      registers: [this.registry],
      // Read from the database on each scrape: another instance may have taken the last one.
      async collect() {
        await backups.refreshLastSuccess().catch(() => undefined);
        this.set(backups.lastSuccessAt ? backups.lastSuccessAt.getTime() / 1000 : 0);
      },
    });
    const removeOutages = services.outages.onChange((dependency, down) => {
      if (down) this.#outages.inc({ dependency });
    });
    return () => {
      removePools();
      removeListener();
      removeAudit();
      removeOutages();
      this.registry.removeSingleMetric('studio_backup_last_success_timestamp');
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
