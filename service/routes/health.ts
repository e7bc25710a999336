import type Router from '@koa/router';
import type { Redis } from '../redis.js';
import { AppError } from '../errors.js';
import { withDeadline } from '../deadline.js';

/**
 * GET /ok is liveness and never touches Redis: a Redis outage must not get every API pod
 * restarted. Its body is the original's, which existing probes and clients compare.
 * GET /readyz is readiness: ready only while Redis answers PING within the command timeout
 * (in Sentinel mode: while the Redis it is connected to answers ROLE as the primary).
 */
export function healthRoutes(router: Router, redis: Redis, timeoutMs: number, requirePrimary = false): void {
  router.get('/ok', (ctx) => {
    ctx.body = 'gin OK';
  });
  router.get('/readyz', async (ctx) => {
    if (redis.status !== 'ready') {
      throw new AppError('REDIS_UNAVAILABLE', `Not ready: Redis connection is ${redis.status}`);
    }
    if (requirePrimary) {
      // Sentinel mode: a Redis that answers is not enough; it must still be the primary (a demoted
      // one answers too, read-only) until ioredis follows the switch.
      let role: unknown;
      try {
        role = await withDeadline(redis.role(), timeoutMs);
      } catch (error) {
        throw new AppError('REDIS_UNAVAILABLE', 'Not ready: Redis did not answer ROLE', { cause: error });
      }
      if (!Array.isArray(role) || role[0] !== 'master') {
        throw new AppError('REDIS_UNAVAILABLE', 'Not ready: connected to a Redis replica, not the primary');
      }
      ctx.body = 'ready';
      return;
    }
    try {
      await withDeadline(redis.ping(), timeoutMs);
    } catch (error) {
      throw new AppError('REDIS_UNAVAILABLE', 'Not ready: Redis did not answer PING', { cause: error });
    }
    ctx.body = 'ready';
  });
}
