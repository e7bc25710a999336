import { createServer } from 'node:http';
import { once } from 'node:events';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createRedis, redactUrl, type Redis } from './redis.js';
import { createMetrics } from './metrics.js';
import { createApp } from './app.js';
import { trackConnections, type ConnectionDrain } from './connection-drain.js';

/**
 * After SIGTERM, a keep-alive connection with no request in progress stays open this long, so a
 * client that sends again is answered with `Connection: close` instead of having the connection
 * closed under its request. A client that sends at least once a second never sees a reset.
 */
const IDLE_GRACE_MS = 1000;

/**
 * The only entry point that listens. It validates config, starts the HTTP server on 0.0.0.0,
 * and shuts down on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, tell keep-alive
 * clients to close, quit Redis, exit 0 — or, past SHUTDOWN_TIMEOUT_MS, cut the remaining
 * connections and exit 1.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`reas: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  const redis = createRedis(config, logger);
  const app = createApp({ redis, logger, config, metrics: createMetrics({ processMetrics: true }) });
  const server = createServer();
  const drain = trackConnections(server, { idleGraceMs: IDLE_GRACE_MS });
  server.on('request', app.callback());
  // Longer than the idle timeouts of common load balancers (60 s), so they close first and never
  // send a request on a connection Node is closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  try {
    server.listen(config.port, '0.0.0.0');
    await once(server, 'listening');
  } catch (error) {
    // A taken port is the common start-up failure (macOS AirPlay Receiver holds 5000): say which knob to turn.
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const hint = inUse ? `: port ${config.port} is in use: set PORT to a free one, e.g. PORT=${config.port === 65535 ? 5001 : config.port + 1}` : '';
    logger.fatal({ err: error, port: config.port }, `cannot listen${hint}`);
    await stopRedis(redis);
    exit(logger, 1);
    return;
  }
  logger.info({ port: config.port, redis: redactUrl(config.redisUrl), key: config.counterKey }, 'listening');

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      exit(logger, 1);
      return;
    }
    stopping = true;
    void shutdown(drain, redis, logger, config.shutdownTimeoutMs, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function shutdown(drain: ConnectionDrain, redis: Redis, logger: Logger, timeoutMs: number, signal: string): Promise<void> {
  logger.info({ signal, timeoutMs }, 'shutting down: no new connections, finishing in-flight requests');
  const graceful = await drain.close(timeoutMs);
  if (!graceful) logger.error({ timeoutMs }, 'in-flight requests did not finish in time: their connections were closed');
  await stopRedis(redis);
  logger.info({ graceful }, 'stopped');
  exit(logger, graceful ? 0 : 1);
}

/** Exits once buffered log lines are written, so the last words of a pod are never lost. */
function exit(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

/**
 * QUIT lets replies already on the wire arrive; a Redis that does not answer it within a second
 * is dropped, so shutdown stays bounded.
 */
async function stopRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.quit().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
  }
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`reas: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
