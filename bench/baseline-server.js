// The benchmark's yardstick: the reas API's counter routes on bare node:http + ioredis, nothing else.
// Plain JavaScript run by `node` directly (no loader, no build), like the service's bundle (dist/server.js), so
// the two differ only by what the service adds: Koa, the router, logging, metrics, config.
// Never shipped: it lives under bench/ and is excluded from the build and the image.
//
// Env: PORT (5001), REDIS_URL (redis://127.0.0.1:6379), COUNTER_KEY (count), REDIS_TIMEOUT_MS (1000),
// BASELINE_AUTO_PIPELINING (true|false, default true, as the service).
import http from 'node:http';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT ?? '5001');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const key = process.env.COUNTER_KEY ?? 'count';
const timeoutMs = Number(process.env.REDIS_TIMEOUT_MS ?? '1000');
const autoPipelining = (process.env.BASELINE_AUTO_PIPELINING ?? 'true') === 'true';

// The options that cost or save time per command are the service's own (service/redis.ts):
// enableAutoPipelining (one round trip for concurrent commands), commandTimeout (a timer per command),
// stringNumbers (reply parsing); the rest keep the failure behaviour alike.
const redis = new Redis(redisUrl, {
  connectionName: 'reas-baseline',
  enableOfflineQueue: false,
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  stringNumbers: true,
  enableAutoPipelining: autoPipelining,
});
redis.on('error', () => {
  // Reconnection is ioredis's job; requests meanwhile answer 503.
});

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function send(res, status, type, body, extra) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function sendCount(req, res, value) {
  const count = value ?? '0';
  if ((req.headers.accept ?? '').includes('application/json')) {
    send(res, 200, JSON_TYPE, `{"count": ${count}}`);
  } else {
    send(res, 200, TEXT, String(count));
  }
}

function unavailable(res) {
  send(res, 503, TEXT, 'Service Unavailable');
}

const routes = {
  '/ok': { GET: (_req, res) => send(res, 200, TEXT, 'gin OK') },
  '/readyz': {
    GET: (_req, res) =>
      redis.ping().then(
        () => send(res, 200, TEXT, 'ready'),
        () => unavailable(res),
      ),
  },
  '/count': {
    GET: (req, res) =>
      redis.get(key).then(
        (value) => sendCount(req, res, value),
        () => unavailable(res),
      ),
  },
  '/inc': {
    POST: (req, res) =>
      redis.incr(key).then(
        (value) => sendCount(req, res, value),
        () => unavailable(res),
      ),
  },
  '/dec': {
    POST: (req, res) =>
      redis.decr(key).then(
        (value) => sendCount(req, res, value),
        () => unavailable(res),
      ),
  },
};

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const methods = routes[path];
  if (methods === undefined) {
    send(res, 404, TEXT, 'Not Found');
    return;
  }
  const handler = methods[req.method];
  if (handler === undefined) {
    send(res, 405, TEXT, 'Method Not Allowed', { Allow: Object.keys(methods).join(', ') });
    return;
  }
  // Bodies are ignored (the routes take none) but must be drained for keep-alive.
  req.resume();
  handler(req, res);
});

server.listen(port, '0.0.0.0');

function shutdown() {
  server.close(() => {
    redis.quit().finally(() => process.exit(0));
  });
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
