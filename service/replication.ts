import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { SentinelConfig } from './sentinel-config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Counter } from './counter.js';
import { createGroupCommit, promotableInSync, type DurabilityPolicy, type GroupCommit } from './group-commit.js';

/**
 * ioredis's Sentinel options for Sentinel mode (docs/ha.md): it asks the Sentinels for the current
 * primary, checks the role of what it reaches, and with failoverDetector subscribes to
 * +switch-master on the Sentinels, so it drops the old primary and reconnects to the new one as
 * soon as Sentinel switches, instead of on its next error.
 */
export function sentinelOptions(sentinel: SentinelConfig, timeoutMs: number): RedisOptions {
  return {
    sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
    name: sentinel.masterName,
    role: 'master',
    ...(sentinel.password === undefined ? {} : { sentinelPassword: sentinel.password }),
    failoverDetector: true,
    sentinelCommandTimeout: timeoutMs,
    // Sentinel names every host to try: one more second between full rounds is what the standalone client waits too.
    sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  };
}

/** A replica as Sentinel describes it: only what the durability rule needs. */
export interface SentinelReplica {
  readonly address: string;
  readonly priority: number;
}

/** How long a Sentinel's answer about replica priorities is trusted when no newer one comes. */
const sentinelViewTtlMs = 5000;

/**
 * Polls the Sentinels once a second for the replicas of the master (SENTINEL REPLICAS), so the
 * durability rule can leave out the replicas Sentinel never promotes. Any Sentinel will do; on an
 * error it moves to the next. Without a fresh answer every replica counts as promotable.
 */
export function watchSentinelReplicas(sentinel: SentinelConfig, timeoutMs: number, logger: Logger) {
  let replicas = new Map<string, SentinelReplica>();
  let refreshedAt = 0;
  let index = 0;
  let client: Redis | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  function connect(): Redis {
    const { host, port } = sentinel.sentinels[index % sentinel.sentinels.length] as { host: string; port: number };
    const redis = new Redis({
      host,
      port,
      ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
      connectionName: 'reas-sentinel-watch',
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => undefined);
    return redis;
  }

  async function poll(): Promise<void> {
    try {
      client ??= connect();
      const reply = (await client.call('SENTINEL', 'REPLICAS', sentinel.masterName)) as string[][];
      const next = new Map<string, SentinelReplica>();
      for (const flat of reply) {
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
        const address = `${fields.get('ip')}:${fields.get('port')}`;
        next.set(address, { address, priority: Number(fields.get('slave-priority') ?? '100') });
      }
      replicas = next;
      refreshedAt = Date.now();
    } catch (error) {
      logger.debug({ err: error, sentinel: index % sentinel.sentinels.length }, 'sentinel did not list the replicas; trying the next');
      client?.disconnect();
      client = undefined;
      index++;
    }
    if (!stopped) timer = setTimeout(() => void poll(), 1000);
  }
  void poll();

  return {
    /** True when a fresh Sentinel answer gives the replica priority 0: Sentinel never promotes it. */
    neverPromoted(address: string): boolean {
      if (Date.now() - refreshedAt > sentinelViewTtlMs) return false;
      return replicas.get(address)?.priority === 0;
    },
    close(): void {
      stopped = true;
      clearTimeout(timer);
      client?.disconnect();
    },
  };
}

export interface Replication {
  /** The counter's increments and decrements, answered only once replicated (see group-commit.ts). */
  readonly writes: Pick<Counter, 'increment' | 'decrement'>;
  close(): void;
}

export interface ReplicationOptions {
  /** For the tests' negative controls only. @default promotableInSync */
  readonly policy?: DurabilityPolicy;
}

/**
 * Sentinel mode's write path: a connection of its own (WAIT blocks it), the group commit on it and
 * the Sentinel watch the durability rule reads. `redis` is the app's client, already in Sentinel mode.
 */
export function createReplication(
  config: Pick<Config, 'counterKey' | 'redisTimeoutMs'> & { readonly redisSentinel: SentinelConfig },
  redis: Redis,
  logger: Logger,
  metrics: Metrics,
  options: ReplicationOptions = {},
): Replication {
  const writer = redis.duplicate({ connectionName: 'reas-writes', enableAutoPipelining: false });
  writer.on('error', () => undefined); // the app's client logs the same connection errors
  const watch = watchSentinelReplicas(config.redisSentinel, config.redisTimeoutMs, logger);
  const policy = options.policy ?? promotableInSync((address) => watch.neverPromoted(address));
  const groupCommit: GroupCommit = createGroupCommit({
    redis: writer,
    key: config.counterKey,
    timeoutMs: config.redisTimeoutMs,
    policy,
    metrics,
  });
  logger.info({ master: config.redisSentinel.masterName, sentinels: config.redisSentinel.sentinels.length, durability: policy.name }, 'sentinel mode');
  return {
    writes: groupCommit,
    close() {
      groupCommit.close();
      watch.close();
      writer.disconnect();
    },
  };
}
