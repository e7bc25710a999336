// The HA row of `npm run bench`: the built service in Sentinel mode (docs/ha.md) against a private
// primary, two replicas and three Sentinels, loaded on POST /inc in the same rounds as the others.
import { Redis } from 'ioredis';
import { startReplicationGroup, type ReplicationGroup } from '../../hack/lib/redis-sentinel.js';
import type { ServerSpec } from './server-process.js';

export const HA = 'service (HA: 2 replicas, 3 Sentinels)';

export interface HaSetup {
  readonly spec: ServerSpec;
  /** The counter on the current primary. */
  count(key: string): Promise<number>;
  dispose(): Promise<void>;
}

/** Starts the replication group (no AOF and no relays, as the standalone Redis has neither) and returns the service's spec. */
export async function startHa(): Promise<HaSetup> {
  const group: ReplicationGroup = await startReplicationGroup({ persistent: false, relays: false });
  let client: Redis | undefined;
  return {
    spec: {
      name: HA,
      kind: 'service',
      routes: ['inc'],
      env: { REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_MASTER: group.masterName, REDIS_PASSWORD: group.password },
    },
    async count(key) {
      client ??= new Redis({ host: '127.0.0.1', port: await group.primaryPort(), password: group.password, maxRetriesPerRequest: 1 });
      return Number((await client.get(key)) ?? '0');
    },
    async dispose() {
      client?.disconnect();
      await group.dispose();
    },
  };
}
