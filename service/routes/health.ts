import type Router from '@koa/router';
import { setImmediate as endOfPoll } from 'node:timers/promises';
import type { Redis } from '../redis.js';
import { AppError } from '../errors.js';
import { withDeadline } from '../deadline.js';

export interface HealthRoutesDeps {
  readonly router: Router;
  readonly redis: Redis;
  /** How long /readyz waits for Redis's answer (REDIS_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /**
   * Sentinel mode's write connection (replication.ts): ready only while it is connected too, and while
   * `redis` is connected to the primary. @default none: standalone
   */
  readonly writeConnection?: Pick<Redis, 'status'>;
}

/**
 * GET /ok is liveness and never touches Redis: a Redis outage must not get every API pod
 * restarted. Its body is the original's, which existing probes and clients compare.
 * GET /readyz is readiness: ready only while Redis answers PING within the command timeout
 * (in Sentinel mode: while the Redis it is connected to answers ROLE as the primary).
 */
export function healthRoutes({ router, redis, timeoutMs, writeConnection }: HealthRoutesDeps): void {
  // Answered after the event loop has read every request that arrived with this one, so the answers
  // of a busy loop go out together, as the Redis routes' do (one Redis reply settles many requests).
  // Answering in the same turn as the read cost more CPU per request than /count in every Koa server
  // (see BENCHMARKS.md, "The /ok cost"): the client is woken once per response instead of once per batch.
  router.get('/ok', async (ctx) => {
    await endOfPoll();
    ctx.body = 'gin OK';
  });
  router.get('/readyz', async (ctx) => {
    if (redis.status !== 'ready') {
      throw new AppError('REDIS_UNAVAILABLE', `Not ready: Redis connection is ${redis.status}`);
    }
    if (writeConnection !== undefined) {
      // Writes go through a connection of their own; a pod ready while it reconnects would answer them 503.
      if (writeConnection.status !== 'ready') {
        throw new AppError('REDIS_UNAVAILABLE', `Not ready: the Redis write connection is ${writeConnection.status}`);
      }
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
