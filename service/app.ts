import Koa from 'koa';
import Router from '@koa/router';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Redis } from './redis.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createCounter } from './counter.js';
import type { ReplicatedWrites } from './replication.js';
import { createFailureLog, type FailureLog } from './failure-log.js';
import { errorHandler } from './middleware/error-handler.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { bodyLimit } from './middleware/body-limit.js';
import { trailingSlash } from './middleware/trailing-slash.js';
import { counterRoutes } from './routes/counter.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';

export interface AppDependencies {
  readonly redis: Redis;
  readonly logger: Logger;
  readonly config: Pick<Config, 'counterKey' | 'redisTimeoutMs' | 'maxBodyBytes'>;
  /** @default a fresh registry without process metrics */
  readonly metrics?: Metrics;
  /** Sentinel mode's replicated increments and decrements (replication.ts); standalone when absent. */
  readonly writes?: ReplicatedWrites;
  /** Where failed requests are logged; server.ts flushes it at shutdown. @default one over `logger` */
  readonly failures?: FailureLog;
}

/**
 * Builds the Koa app from its dependencies. It never listens: server.ts does, and tests
 * mount `app.callback()` on a server of their own.
 */
export function createApp({ redis, logger, config, metrics = createMetrics(), writes, failures = createFailureLog(logger) }: AppDependencies): Koa {
  const app = new Koa();
  // As gin: paths are case-sensitive, and a trailing slash is another path (redirected by trailingSlash).
  const router = new Router({ sensitive: true, strict: true });
  const counter = createCounter({ redis, key: config.counterKey, timeoutMs: config.redisTimeoutMs, metrics });
  healthRoutes({ router, redis, timeoutMs: config.redisTimeoutMs, ...(writes === undefined ? {} : { writeConnection: writes.connection }) });
  counterRoutes({ router, counter: writes === undefined ? counter : { get: () => counter.get(), increment: () => writes.increment(), decrement: () => writes.decrement() } });
  metricsRoutes({ router, metrics });

  app.use(errorHandler(failures));
  app.use(requestMetrics(metrics, logger));
  app.use(bodyLimit(config.maxBodyBytes));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(trailingSlash(router));
  // Errors are answered by errorHandler; anything that still reaches Koa (a socket failing
  // mid-response) is logged as JSON, not printed to stderr by Koa's default handler.
  app.on('error', (error: Error) => logger.warn({ err: error }, 'response failed'));
  return app;
}
