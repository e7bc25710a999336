import type { Middleware } from 'koa';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

type RoutedContext = { _matchedRoute?: string | RegExp; matched?: Array<{ path: string | RegExp }> };

/** The route pattern, or for a known path with a wrong method (405) that path's pattern. */
function routeLabel(ctx: RoutedContext): string {
  return String(ctx._matchedRoute ?? ctx.matched?.[0]?.path ?? 'unmatched');
}

/**
 * Counts and times every request by matched route (never the raw path, which would let
 * clients create unbounded label values). Access lines go out at debug level: at info a
 * busy replica would spend more on logging than on answering.
 */
export function requestMetrics(metrics: Metrics, logger: Logger): Middleware {
  return async function observe(ctx, next) {
    const start = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (error) {
      status = isAppError(error) ? error.status : 500;
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeLabel(ctx as RoutedContext);
      const labels = { method: ctx.method, route, status: String(status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ method: ctx.method, path: ctx.path, status, ms: seconds * 1000 }, 'request');
      }
    }
  };
}
