import { lookup } from 'node:dns/promises';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { SentinelConfig } from './sentinel-config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Counter } from './counter.js';
import { createGroupCommit, promotableInSync, type DurabilityPolicy, type GroupCommit } from './group-commit.js';

/**
 * ioredis's Sentinel options for Sentinel mode (docs/ha.md): it asks the Sentinels for the current
 * primary and checks the role of what it reaches. Following +switch-master is followSwitches' job,
 * not ioredis's failoverDetector: that one ends the client for good (status "end", no reconnection)
 * when the switch arrives while the client is still asking the Sentinels for the primary, which is
 * exactly when it arrives after the primary was lost (ioredis 5.9.3, seen in the failover tests).
 */
export function sentinelOptions(sentinel: SentinelConfig, timeoutMs: number): RedisOptions {
  return {
    sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
    name: sentinel.masterName,
    role: 'master',
    ...(sentinel.password === undefined ? {} : { sentinelPassword: sentinel.password }),
    failoverDetector: false,
    // While the primary is down the client keeps retrying; +switch-master only takes effect at the next
    // attempt, so attempts stay 200 ms apart at most (not the standalone second) to follow a switch at once.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 200),
    sentinelCommandTimeout: timeoutMs,
    // Sentinel names every host to try: one more second between full rounds is what the standalone client waits too.
    sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  };
}

/** What the Sentinels say about the master's replicas, merged over every Sentinel that answered. */
export interface SentinelView {
  /**
   * The failovers the Sentinels lead (master flagged failover_in_progress, or a replica promoted or being
   * reconfigured): the run id of the replica each promotes, '' while it has not chosen one.
   */
  readonly failovers: ReadonlySet<string>;
  /** Replicas some Sentinel could promote now: reachable by it (answered a PING lately), replica-priority > 0, reporting the replica role, INFO on record. */
  readonly candidates: ReadonlySet<string>;
  /** Replicas with replica-priority 0: Sentinel never promotes them. */
  readonly neverPromoted: ReadonlySet<string>;
  /** The run id each replica had at the Sentinel's last INFO. */
  readonly runIds: ReadonlyMap<string, string>;
}

/** No answer from any Sentinel: the rule falls back to the replicas in sync at the primary. */
const unknownView: SentinelView = { failovers: new Set(), candidates: new Set(), neverPromoted: new Set(), runIds: new Map() };

/** How long the Sentinels' answers are trusted when no newer one comes. */
const sentinelViewTtlMs = 5000;
/** How often every Sentinel is asked. */
const pollIntervalMs = 250;
/**
 * Sentinel PINGs every instance once a second: a replica that answered within this is alive. One that
 * did not (its node is gone) can no more become primary than a dead process can, so it is not waited for.
 */
const reachableMs = 2500;

function fieldsOf(flat: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(flat)) return fields;
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  return fields;
}

/**
 * One Sentinel's SENTINEL MASTER and SENTINEL REPLICAS replies as the durability rule reads them. A candidate
 * is a replica this Sentinel could promote now, by Sentinel's own selection rules (sentinelSelectSlave): not
 * down or disconnected, answering its PINGs, replica-priority above 0, reporting the replica role, and with an
 * INFO reply on record (a replica it met but never read INFO from, e.g. an old primary that stopped right
 * after the switch, has no run id and is never selected; its link flags can say nothing while it is gone).
 */
export function parseSentinelView(master: unknown, replicas: readonly unknown[]): SentinelView {
  let failoverInProgress = (fieldsOf(master).get('flags') ?? '').includes('failover_in_progress');
  let promoted = '';
  const candidates = new Set<string>();
  const neverPromoted = new Set<string>();
  const runIds = new Map<string, string>();
  for (const flat of replicas) {
    const fields = fieldsOf(flat);
    const address = `${fields.get('ip')}:${fields.get('port')}`;
    const runId = fields.get('runid') ?? '';
    if (runId !== '') runIds.set(address, runId);
    const flags = (fields.get('flags') ?? '').split(',');
    if (flags.some((flag) => flag === 'promoted' || flag.startsWith('reconf_'))) failoverInProgress = true;
    if (flags.includes('promoted')) promoted = runId;
    const priority = Number(fields.get('slave-priority') ?? '100');
    if (priority === 0) {
      neverPromoted.add(address);
      continue;
    }
    const reachable =
      !flags.some((flag) => flag === 's_down' || flag === 'o_down' || flag === 'disconnected') &&
      Number(fields.get('last-ok-ping-reply') ?? Infinity) <= reachableMs;
    if (reachable && fields.get('role-reported') === 'slave' && runId !== '') candidates.add(address);
  }
  return { failovers: new Set(failoverInProgress ? [promoted] : []), candidates, neverPromoted, runIds };
}

/**
 * Polls every Sentinel (SENTINEL MASTER and SENTINEL REPLICAS) four times a second and merges what
 * they say, so the durability rule knows which replicas a Sentinel might promote and whether one is
 * failing the master over right now (only the Sentinel leading a failover knows before +switch-master).
 */
export function watchSentinels(sentinel: SentinelConfig, timeoutMs: number, logger: Logger) {
  const answers = new Map<number, { at: number; view: SentinelView }>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const clients = sentinel.sentinels.map(
    ({ host, port }) => {
      const client = new Redis({
        host,
        port,
        ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
        connectionName: 'reas-sentinel-watch',
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
      });
      client.on('error', () => undefined);
      return client;
    },
  );

  async function ask(client: Redis, index: number): Promise<void> {
    try {
      const [master, replicas] = (await Promise.all([
        client.call('SENTINEL', 'MASTER', sentinel.masterName),
        client.call('SENTINEL', 'REPLICAS', sentinel.masterName),
      ])) as [unknown, unknown[]];
      answers.set(index, { at: Date.now(), view: parseSentinelView(master, replicas) });
    } catch (error) {
      logger.debug({ err: error, sentinel: index }, 'a sentinel did not describe the master');
    }
  }

  async function poll(): Promise<void> {
    await Promise.all(clients.map((client, index) => ask(client, index)));
    if (!stopped) timer = setTimeout(() => void poll(), pollIntervalMs);
  }
  void poll();

  return {
    view(): SentinelView {
      // Oldest first, so that for a replica restarted since an older answer the freshest run id wins.
      const fresh = [...answers.values()]
        .filter(({ at }) => Date.now() - at <= sentinelViewTtlMs)
        .sort((x, y) => x.at - y.at)
        .map(({ view }) => view);
      if (fresh.length === 0) return unknownView;
      return {
        failovers: new Set(fresh.flatMap((view) => [...view.failovers])),
        candidates: new Set(fresh.flatMap((view) => [...view.candidates])),
        neverPromoted: new Set(fresh.flatMap((view) => [...view.neverPromoted])),
        runIds: new Map(fresh.flatMap((view) => [...view.runIds])),
      };
    },
    close(): void {
      stopped = true;
      clearTimeout(timer);
      for (const client of clients) client.disconnect();
    },
  };
}

/**
 * Subscribes to +switch-master on every Sentinel and, when the master switches, drops the ready
 * connections of `clients` (ioredis reconnects them to the primary the Sentinels now name; the
 * commands in flight fail, they are never re-sent). A client that is reconnecting needs nothing:
 * its next attempt, at most 200 ms away, asks the Sentinels. Every Sentinel announces the same
 * switch, the failover's leader last (when it has re-pointed the other replicas, a second or more
 * later): a connection already on the announced primary stays, or the later announcements would drop
 * the connections just made to it. Any other ready connection moves, whichever announcement it is (one
 * may have reached the old primary while the first announcement was on its way).
 */
export function followSwitches(sentinel: SentinelConfig, clients: readonly Redis[], logger: Logger) {
  async function moveTo(host: string, port: number): Promise<void> {
    let addresses: string[] = [];
    try {
      addresses = (await lookup(host, { all: true })).map(({ address }) => address);
    } catch {
      // Unresolvable here: nothing counts as already there, every ready connection moves.
    }
    const there = (client: Redis) =>
      client.stream?.remotePort === port && addresses.includes((client.stream.remoteAddress ?? '').replace(/^::ffff:/, ''));
    const moving = clients.filter((client) => client.status === 'ready' && !there(client));
    if (moving.length === 0) return;
    logger.info({ master: sentinel.masterName, primary: `${host}:${port}` }, 'sentinel switched the primary: reconnecting');
    for (const client of moving) client.disconnect(true);
  }

  const subscribers = sentinel.sentinels.map(({ host, port }) => {
    const subscriber = new Redis({
      host,
      port,
      ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
      connectionName: 'reas-sentinel-switch',
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    });
    subscriber.on('error', () => undefined);
    subscriber.subscribe('+switch-master').catch(() => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      // "<master name> <old ip> <old port> <new ip> <new port>"
      const [name, , , host, port] = message.split(' ');
      if (name !== sentinel.masterName || host === undefined || port === undefined) return;
      void moveTo(host, Number(port));
    });
    return subscriber;
  });
  return {
    close(): void {
      for (const subscriber of subscribers) subscriber.disconnect();
    },
  };
}

/**
 * The run id of the Redis `client` is connected to (INFO server, asked once per connection), for the
 * durability rule to tell the replica a failover promotes from the primary it replaces; undefined
 * while unknown, which the rule treats as the strict case.
 */
export function trackRunId(client: Redis): { readonly current: string | undefined } {
  let runId: string | undefined;
  let connection = 0;
  // Asked again while the same connection is up: a failed INFO must not leave the strict case on for good.
  const ask = (asked: number): void => {
    client.info('server').then(
      (info) => {
        if (asked === connection) runId = /^run_id:(\w+)/m.exec(info)?.[1];
      },
      () => {
        setTimeout(() => {
          if (asked === connection && client.status === 'ready') ask(asked);
        }, 250).unref();
      },
    );
  };
  client.on('ready', () => {
    runId = undefined;
    ask(++connection);
  });
  client.on('close', () => {
    connection++;
    runId = undefined;
  });
  return {
    get current() {
      return runId;
    },
  };
}

/** The counter's increments and decrements, answered only once replicated (see group-commit.ts). */
export interface ReplicatedWrites extends Pick<Counter, 'increment' | 'decrement'> {
  /** The connection they go through: the service is ready only while it is (routes/health.ts). */
  readonly connection: Redis;
}

export interface Replication {
  readonly writes: ReplicatedWrites;
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
  const watch = watchSentinels(config.redisSentinel, config.redisTimeoutMs, logger);
  const writesTo = trackRunId(writer);
  const policy = options.policy ?? promotableInSync(() => watch.view(), () => writesTo.current);
  const switches = followSwitches(config.redisSentinel, [redis, writer], logger);
  const groupCommit: GroupCommit = createGroupCommit({
    redis: writer,
    key: config.counterKey,
    timeoutMs: config.redisTimeoutMs,
    policy,
    metrics,
  });
  logger.info({ master: config.redisSentinel.masterName, sentinels: config.redisSentinel.sentinels.length, durability: policy.name }, 'sentinel mode');
  return {
    writes: { increment: () => groupCommit.increment(), decrement: () => groupCommit.decrement(), connection: writer },
    close() {
      groupCommit.close();
      switches.close();
      watch.close();
      writer.disconnect();
    },
  };
}
