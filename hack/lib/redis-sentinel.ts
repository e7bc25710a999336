import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { spawnRedis, startRedis, type RedisServer } from './redis-server.js';

/**
 * A TCP relay between a replica and its primary that a test can freeze: frozen, it forwards
 * nothing in either direction and passes on no close, so both ends keep a connection that has
 * gone silent, as with a network partition (no RST, no FIN). It runs as a process of its own
 * (tcp-relay.cjs), so a busy test process never slows the replication stream.
 */
export interface Relay {
  readonly port: number;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  close(): Promise<void>;
}

const relayScript = fileURLToPath(new URL('./tcp-relay.cjs', import.meta.url));

export async function startRelay(targetPort: number): Promise<Relay> {
  const proc = spawn(process.execPath, [relayScript, String(targetPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const nextLine = () => once(lines, 'line').then(([line]) => String(line));
  const first = await nextLine();
  const port = Number(/^port (\d+)$/.exec(first)?.[1]);
  if (!(port > 0)) throw new Error(`tcp-relay did not start: ${first}`);
  const command = async (line: string, answer: string) => {
    const reply = nextLine();
    proc.stdin?.write(`${line}\n`);
    if ((await reply) !== answer) throw new Error(`tcp-relay did not ${line}`);
  };
  return {
    port,
    freeze: () => command('freeze', 'frozen'),
    thaw: () => command('thaw', 'thawed'),
    async close() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** A real `redis-server --sentinel` with its own writable config file (Sentinel rewrites it). */
export interface Sentinel {
  readonly port: number;
  /** Its one client for SENTINEL commands; disconnected by stop(). */
  client(): Redis;
  stop(): Promise<void>;
}

export interface ReplicaInGroup {
  readonly server: RedisServer;
  /** The replica reaches its first primary through this relay. */
  readonly relay: Relay | undefined;
  readonly priority: number;
}

export interface ReplicationGroup {
  readonly masterName: string;
  readonly password: string;
  readonly primary: RedisServer;
  readonly replicas: readonly ReplicaInGroup[];
  readonly sentinels: readonly Sentinel[];
  /** REDIS_SENTINELS for the service. */
  readonly sentinelList: string;
  /** The port of the primary the Sentinels name now. */
  primaryPort(): Promise<number>;
  /** Resolves when every Sentinel names a primary on another port than `oldPort`; the new port. */
  waitForSwitch(oldPort: number, timeoutMs: number): Promise<number>;
  /** Resolves once the primary lists `count` replicas as online. */
  waitForOnlineReplicas(count: number, timeoutMs: number): Promise<void>;
  dispose(): Promise<void>;
}

export interface ReplicationGroupOptions {
  /** replica-priority of each replica, in order (lower is preferred by Sentinel; 0 never promoted). @default [100, 100] */
  readonly priorities?: readonly number[];
  /** Sentinel's down-after-milliseconds: small, so tests fail over in about a second. @default 1000 */
  readonly downAfterMs?: number;
  /** Redis with AOF (the harness's default); the benchmark turns it off as for its standalone Redis. @default true */
  readonly persistent?: boolean;
  /** Each replica reaches the primary through a Relay a test can freeze; the benchmark connects them directly. @default true */
  readonly relays?: boolean;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs} ms${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function quietClient(port: number, password: string): Redis {
  const client = new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => undefined);
  return client;
}

async function startSentinel(dir: string, index: number, masterName: string, primaryPort: number, password: string, downAfterMs: number): Promise<Sentinel> {
  const port = await freePort();
  const file = join(dir, `sentinel-${index}.conf`);
  await writeFile(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `requirepass ${password}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
      `sentinel auth-pass ${masterName} ${password}`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 2`,
      '',
    ].join('\n'),
  );
  const proc = await spawnRedis([file, '--sentinel'], '+monitor master', 'redis-server --sentinel');
  let client: Redis | undefined;
  return {
    port,
    client() {
      client ??= quietClient(port, password);
      return client;
    },
    async stop() {
      client?.disconnect();
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * One primary, a replica per entry of `priorities` (each behind a Relay to the primary) and three
 * Sentinels with quorum 2, all real processes on 127.0.0.1 and free ports, with one password on
 * Redis and Sentinel alike. Resolves once every Sentinel knows every replica and the other two
 * Sentinels, so a failover can happen.
 */
export async function startReplicationGroup(options: ReplicationGroupOptions = {}): Promise<ReplicationGroup> {
  const priorities = options.priorities ?? [100, 100];
  const downAfterMs = options.downAfterMs ?? 1000;
  const masterName = 'mymaster';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const dir = await mkdtemp(join(tmpdir(), 'reas-sentinel-'));
  const common = ['--masterauth', password, '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];
  const persistent = options.persistent ?? true;
  const primary = await startRedis({ password, persistent, args: common });
  const replicas: ReplicaInGroup[] = [];
  const sentinels: Sentinel[] = [];
  const probes: Redis[] = [];
  const probe = (port: number) => {
    const client = quietClient(port, password);
    probes.push(client);
    return client;
  };

  const group: ReplicationGroup = {
    masterName,
    password,
    primary,
    replicas,
    sentinels,
    get sentinelList() {
      return sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
    },
    async primaryPort() {
      const [, port] = (await (sentinels[0] as Sentinel).client().call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
      return Number(port);
    },
    waitForSwitch(oldPort, timeoutMs) {
      return until(`every Sentinel names a new primary instead of port ${oldPort}`, timeoutMs, async () => {
        const ports = await Promise.all(
          sentinels.map(async (sentinel) => {
            const [, port] = (await sentinel.client().call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
            return Number(port);
          }),
        );
        const first = ports[0] as number;
        return first !== oldPort && ports.every((port) => port === first) ? first : undefined;
      });
    },
    async waitForOnlineReplicas(count, timeoutMs) {
      const port = await group.primaryPort();
      const client = probe(port);
      await until(`${count} replicas online at the primary`, timeoutMs, async () => {
        const role = (await client.call('ROLE')) as [string, number, unknown[]];
        return role[0] === 'master' && role[2].length >= count ? true : undefined;
      });
    },
    async dispose() {
      for (const client of probes) client.disconnect();
      await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
      await Promise.all(replicas.map(async ({ server, relay }) => {
        await relay?.close();
        await server.dispose();
      }));
      await primary.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const priority of priorities) {
      const relay = options.relays === false ? undefined : await startRelay(primary.port);
      const server = await startRedis({
        password,
        persistent,
        args: [...common, '--replicaof', '127.0.0.1', String(relay?.port ?? primary.port), '--replica-priority', String(priority)],
      });
      replicas.push({ server, relay, priority });
    }
    const primaryProbe = probe(primary.port);
    await until(`${priorities.length} replicas online at the primary`, 10_000, async () => {
      const role = (await primaryProbe.call('ROLE')) as [string, number, unknown[]];
      return role[2].length === priorities.length ? true : undefined;
    });
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(dir, i, masterName, primary.port, password, downAfterMs));
    // Sentinels find the replicas in the primary's INFO and each other through hello messages (every 2 s).
    await Promise.all(
      sentinels.map(async (sentinel) => {
        const client = sentinel.client();
        await until('a Sentinel knows every replica and the other Sentinels', 15_000, async () => {
          const known = (await client.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
          const peers = (await client.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
          const ready = known.filter((fields) => {
            const flags = fields[fields.indexOf('flags') + 1] ?? '';
            return !flags.includes('disconnected') && !flags.includes('s_down');
          });
          return ready.length === priorities.length && peers.length === 2 ? true : undefined;
        });
      }),
    );
  } catch (error) {
    await group.dispose();
    throw error;
  }
  return group;
}
