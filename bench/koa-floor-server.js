// The floor for any Koa + @koa/router implementation of the API: the same routes and bodies as the
// service with nothing else (no error mapping, metrics, body limit, logging, config validation).
// `npm run bench -- --koa-floor` runs it next to the service and the bare baseline, so a gap can be
// split into what Koa itself costs (floor vs baseline) and what the service adds (service vs floor).
// Plain JavaScript run by node directly, like baseline-server.js; same env, same ioredis options.
import http from 'node:http';
import process from 'node:process';
import Koa from 'koa';
import Router from '@koa/router';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT ?? '5002');
const key = process.env.COUNTER_KEY ?? 'count';
const timeoutMs = Number(process.env.REDIS_TIMEOUT_MS ?? '1000');

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  connectionName: 'reas-koa-floor',
  enableOfflineQueue: false,
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  stringNumbers: true,
  enableAutoPipelining: (process.env.BASELINE_AUTO_PIPELINING ?? 'true') === 'true',
});
redis.on('error', () => {
  // Reconnection is ioredis's job; requests meanwhile answer 500.
});

const app = new Koa();
const router = new Router();
router.get('/ok', (ctx) => {
  ctx.body = 'gin OK';
});
router.get('/readyz', async (ctx) => {
  await redis.ping();
  ctx.body = 'ready';
});
router.get('/count', async (ctx) => {
  ctx.body = (await redis.get(key)) ?? '0';
});
router.post('/inc', async (ctx) => {
  ctx.body = String(await redis.incr(key));
});
router.post('/dec', async (ctx) => {
  ctx.body = String(await redis.decr(key));
});
app.use(router.routes());
app.use(router.allowedMethods());

const server = http.createServer(app.callback());
server.listen(port, '0.0.0.0');

function shutdown() {
  server.close(() => {
    redis.quit().finally(() => process.exit(0));
  });
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
