import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createApp } from '../../service/app.js';
import { loadConfig } from '../../service/config.js';
import { createLogger } from '../../service/logger.js';
import { createMetrics, type Metrics } from '../../service/metrics.js';
import { createRedis } from '../../service/redis.js';
import { createReplication, type ReplicationOptions } from '../../service/replication.js';

export interface TestApp {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly metrics: Metrics;
  /** The app's own Redis client. */
  readonly redis: Redis;
  close(): Promise<void>;
}

/**
 * A fresh app, built exactly as server.ts builds it (same config parsing and Redis options),
 * served on an ephemeral port. `env` holds the variables a deployment would set.
 */
export async function startApp(env: Record<string, string>, options: ReplicationOptions = {}): Promise<TestApp> {
  const config = loadConfig(env);
  const logger = createLogger('silent');
  const redis = createRedis(config, logger);
  const metrics = createMetrics();
  const { redisSentinel } = config;
  // Sentinel mode, as server.ts builds it; `options.policy` swaps the durability rule for a negative control.
  const replication = redisSentinel === undefined ? undefined : createReplication({ ...config, redisSentinel }, redis, logger, metrics, options);
  const app = createApp({ redis, logger, config, metrics, ...(replication === undefined ? {} : { writes: replication.writes }) });
  const server: Server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await waitUntilReady(redis);
  // Sentinel mode writes through a connection of its own: ready once it is too, as /readyz would say.
  if (replication !== undefined) await waitUntilReady(replication.writes.connection);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    metrics,
    redis,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      replication?.close();
      redis.disconnect();
    },
  };
}

async function waitUntilReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis client not ready after 5 s (status ${redis.status})`)), 5000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A separate client for a test to read and write Redis directly; close it in a hook. */
export function directClient(url: string, password?: string): Redis {
  const client = new Redis(url, { ...(password === undefined ? {} : { password }), maxRetriesPerRequest: 1 });
  // Tests stop Redis on purpose; its reconnection errors are expected, and a command that fails
  // still rejects its own promise.
  client.on('error', () => undefined);
  return client;
}
