import { createServer } from 'node:http';
import { once } from 'node:events';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createRedis, type Redis } from './redis.js';
import { redactUrl, scrubber, secretsOf } from './redact.js';
import { createMetrics } from './metrics.js';
import { createReplication } from './replication.js';
import { createApp } from './app.js';
import { refuseMalformed } from './protocol-checks.js';
import { createFailureLog, type FailureLog } from './failure-log.js';
import { trackConnections, type ConnectionDrain } from './connection-drain.js';

/**
 * After SIGTERM, a keep-alive connection with no request in progress stays open this long, so a
 * client that sends again is answered with `Connection: close` instead of having the connection
 * closed under its request. A client that sends at least once a second never sees a reset.
 */
const IDLE_GRACE_MS = 1000;

/** Set once the configuration is known: what the last-resort error paths write goes through it. */
let scrub = (text: string) => text;

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

  const secrets = secretsOf(config);
  scrub = scrubber(secrets);
  const logger = createLogger(config.logLevel, { secrets });
  // Node's default for these prints the error with all its properties to stderr: an ioredis error
  // carries its command's arguments. Logged through the redacting logger instead, then exit 1 as Node would.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    exit(logger, 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    exit(logger, 1);
  });
  const failures = createFailureLog(logger);
  const redis = createRedis(config, logger, failures);
  const metrics = createMetrics({ processMetrics: true });
  const { redisSentinel } = config;
  const replication = redisSentinel === undefined ? undefined : createReplication({ ...config, redisSentinel }, redis, logger, metrics);
  const app = createApp({ redis, logger, config, metrics, failures, ...(replication === undefined ? {} : { writes: replication.writes }) });
  const server = createServer({
    // A client gets REQUEST_TIMEOUT_MS to send a whole request (Node's default is 300 s, so a few
    // slow clients could hold connections for minutes), then 408. Checked every second, not every 30 s.
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
    // Longer than the idle timeouts of common load balancers (60 s), so they close first and never
    // send a request on a connection Node is closing.
    keepAliveTimeout: 65_000,
  });
  // A connection flood must not take the pod past its memory limit: connections past the cap are
  // closed as they are accepted (Node's 'drop'), and the first of each burst is logged.
  server.maxConnections = config.maxConnections;
  server.on('drop', () =>
    failures.failed('MAX_CONNECTIONS', { maxConnections: config.maxConnections }, 'connection closed at once: MAX_CONNECTIONS reached'),
  );
  const handle = app.callback();
  const drain = trackConnections(
    server,
    (request, response) => {
      if (!refuseMalformed(request, response)) void handle(request, response);
    },
    { idleGraceMs: IDLE_GRACE_MS },
  );
  // Node answers `Expect: 100-continue` with 100 by itself, inviting a body it will refuse. As Go and
  // nginx do, a Content-Length over MAX_BODY_BYTES gets no 100: the app answers 413 (body-limit.ts) at once.
  server.on('checkContinue', (request, response) => {
    if (!(Number(request.headers['content-length']) > config.maxBodyBytes)) response.writeContinue();
    server.emit('request', request, response);
  });

  try {
    server.listen(config.port, '0.0.0.0');
    await once(server, 'listening');
  } catch (error) {
    // A taken port is the common start-up failure (macOS AirPlay Receiver holds 5000): say which knob to turn.
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const hint = inUse ? `: port ${config.port} is in use: set PORT to a free one, e.g. PORT=${config.port === 65535 ? 5001 : config.port + 1}` : '';
    logger.fatal({ err: error, port: config.port }, `cannot listen${hint}`);
    replication?.close();
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
    void shutdown(drain, redis, logger, failures, config.shutdownTimeoutMs, signal, () => replication?.close());
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP (a closed terminal, some supervisors' stop signal) killed the process undrained (exit 129).
  process.on('SIGHUP', onSignal);
  // SIGUSR1 is not handled here (Node never calls a listener for it): the image starts node with
  // --disable-sigusr1, so it cannot open the inspector on 127.0.0.1:9229, reachable from the whole pod.
}

async function shutdown(
  drain: ConnectionDrain,
  redis: Redis,
  logger: Logger,
  failures: FailureLog,
  timeoutMs: number,
  signal: string,
  closeReplication: () => void,
): Promise<void> {
  logger.info({ signal, timeoutMs }, 'shutting down: no new connections, finishing in-flight requests');
  const graceful = await drain.close(timeoutMs);
  if (!graceful) logger.error({ timeoutMs }, 'in-flight requests did not finish in time: their connections were closed');
  closeReplication();
  await stopRedis(redis);
  failures.flush();
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
  process.stderr.write(scrub(`reas: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  process.exit(1);
});
