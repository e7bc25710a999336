import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Counter } from '../counter.js';
import { wantsJson } from '../negotiate.js';

function sendCount(ctx: Context, digits: string): void {
  if (wantsJson(ctx)) {
    // Written by hand so counts beyond 2^53 keep every digit (JSON.stringify of a Number would not).
    ctx.type = 'application/json';
    ctx.body = `{"count": ${digits}}`;
  } else {
    ctx.body = digits;
  }
}

export interface CounterRoutesDeps {
  readonly router: Router;
  /** In Sentinel mode, its increments and decrements wait for the replicas (replication.ts). */
  readonly counter: Counter;
}

/** GET /count, POST /inc, POST /dec: the original service's routes, answered from Redis alone. */
export function counterRoutes({ router, counter }: CounterRoutesDeps): void {
  router.get('/count', async (ctx) => sendCount(ctx, await counter.get()));
  router.post('/inc', async (ctx) => sendCount(ctx, await counter.increment()));
  router.post('/dec', async (ctx) => sendCount(ctx, await counter.decrement()));
}
