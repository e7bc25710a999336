import type Router from '@koa/router';
import type { Metrics } from '../metrics.js';

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(router: Router, metrics: Metrics): void {
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
