import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly redisErrors: Counter<'kind'>;
}

export interface MetricsOptions {
  /**
   * Process metrics (CPU, memory, event-loop lag, GC). They install process-wide observers,
   * so only the running server turns them on; tests build many apps and leave them off.
   * @default false
   */
  readonly processMetrics?: boolean;
}

/** A private registry per app, so two apps in one process (tests) never share counters. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'reas_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'reas_http_requests_total',
      help: 'HTTP requests answered, by method, matched route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'reas_http_request_duration_seconds',
      help: 'Time from request to response, by method, matched route and status code.',
      labelNames: ['method', 'route', 'status'],
      // The hot path is one Redis round trip: most answers take well under 5 ms.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: 'reas_redis_errors_total',
      help: 'Redis commands that failed, by kind: unavailable, timeout, not_integer, overflow, not_replicated (Sentinel mode), other.',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
