import type Router from '@koa/router';
import type { Redis } from '../redis.js';
import { AppError } from '../errors.js';
import { withDeadline } from '../deadline.js';

/**
 * GET /ok is liveness and never touches Redis: a Redis outage must not get every API pod
 * restarted. Its body is the original's, which existing probes and clients compare.
 * GET /readyz is readiness: ready only while Redis answers PING within the command timeout.
 */
export function healthRoutes(router: Router, redis: Redis, timeoutMs: number): void {
  router.get('/ok', (ctx) => {
    ctx.body = 'gin OK';
  });
  router.get('/readyz', async (ctx) => {
    if (redis.status !== 'ready') {
      throw new AppError('REDIS_UNAVAILABLE', `Not ready: Redis connection is ${redis.status}`);
    }
    try {
      await withDeadline(redis.ping(), timeoutMs);
    } catch (error) {
      throw new AppError('REDIS_UNAVAILABLE', 'Not ready: Redis did not answer PING', { cause: error });
    }
    ctx.body = 'ready';
  });
}
