import { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { sentinelOptions } from './replication.js';
import { createFailureLog, type FailureLog } from './failure-log.js';
import { redactUrl } from './redact.js';

export type { Redis };

/** Longest pause between reconnection attempts: Redis coming back is noticed within this. */
export const maxReconnectDelayMs = 1000;

/**
 * The Redis client, tuned so that a request never waits longer than REDIS_TIMEOUT_MS:
 * no offline queue (commands fail at once while disconnected) and no resending of commands
 * that were in flight when a connection dropped (a resent INCR could count twice). Each request's
 * wait is bounded by withDeadline (deadline.ts); ioredis's own commandTimeout stays as a backstop
 * at twice that, so a stalled Redis cannot hold commands forever. It reconnects by itself,
 * forever, so the service recovers without a restart.
 */
export function createRedis(config: Config, logger: Logger, failures: FailureLog = createFailureLog(logger)): Redis {
  const redis = new Redis(config.redisUrl, {
    ...(config.redisPassword === undefined ? {} : { password: config.redisPassword }),
    connectionName: 'reas',
    enableOfflineQueue: false,
    commandTimeout: 2 * config.redisTimeoutMs,
    connectTimeout: config.redisTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, maxReconnectDelayMs),
    // A managed Redis that fails over turns the old primary read-only: reconnect to the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // Replies as strings keep counts beyond 2^53 exact; they are sent on as text anyway.
    stringNumbers: true,
    // Concurrent requests share one round trip: see BENCHMARKS.md for the measured effect.
    enableAutoPipelining: true,
    // Sentinel mode (docs/ha.md): the primary is whatever the Sentinels name, followed across failovers.
    ...(config.redisSentinel === undefined ? {} : sentinelOptions(config.redisSentinel, config.redisTimeoutMs)),
  });
  // ioredis sends the URL's SELECT on every new connection and carries on when Redis refuses it
  // (an index past the server's `databases`): the counter would then live in database 0. A refused
  // SELECT (answered before the ready check, so before 'ready') makes the connection unusable: it is
  // dropped as it becomes ready and retried like any failed connection, so the service stays not ready.
  let selectRefused = false;
  redis.on('error', (error: Error & { command?: { name?: string } }) => {
    if (error.command?.name === 'select') selectRefused = true;
  });
  redis.prependListener('ready', () => {
    if (selectRefused) {
      selectRefused = false;
      redis.disconnect(true);
      return;
    }
    failures.flush();
    logger.info({ url: redactUrl(config.redisUrl) }, 'redis ready');
  });
  // While Redis is down ioredis reports every reconnection attempt: the first is logged, the rest
  // counted into one summary line per window (failure-log.ts); 'redis ready' says it is over.
  redis.on('error', (error: Error) => failures.failed('REDIS_CONNECTION_ERROR', { err: error }, 'redis connection error'));
  return redis;
}
