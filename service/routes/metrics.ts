import type Router from '@koa/router';
import type { Metrics } from '../metrics.js';

export interface MetricsRoutesDeps {
  readonly router: Router;
  readonly metrics: Metrics;
}

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes({ router, metrics }: MetricsRoutesDeps): void {
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
