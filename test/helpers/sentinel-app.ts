import { startReplicationGroup, type ReplicationGroup } from '../../hack/lib/redis-sentinel.js';
import type { ReplicationOptions } from '../../service/replication.js';
import { startApp, type TestApp } from './app-server.js';

/** A replication group (a primary, its replicas, three Sentinels) and an app in Sentinel mode on it. */
export interface SentinelApp {
  readonly group: ReplicationGroup;
  readonly app: TestApp;
}

export interface SentinelAppOptions {
  /** Variables on top of REDIS_SENTINELS and REDIS_PASSWORD, which are all Sentinel mode needs. @default none */
  readonly env?: (group: ReplicationGroup) => Record<string, string>;
  /** For the durability rule's negative controls. @default the service's own */
  readonly replication?: ReplicationOptions;
}

/**
 * Registers an afterEach in the calling describe that closes the app and the group its test
 * started, and returns what starts them: one replica per entry of `priorities` (its
 * replica-priority). Without `env`, the Sentinels get the Redis password and the master name
 * from REDIS_SENTINEL_PASSWORD's and REDIS_SENTINEL_MASTER's defaults.
 */
export function sentinelApp(): (priorities: number[], options?: SentinelAppOptions) => Promise<SentinelApp> {
  let group: ReplicationGroup | undefined;
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    await group?.dispose();
    app = undefined;
    group = undefined;
  });
  return async (priorities, options = {}) => {
    // Kept before the app starts, so a group whose app fails to start is still disposed.
    group = await startReplicationGroup({ priorities });
    app = await startApp(
      { REDIS_SENTINELS: group.sentinelList, REDIS_PASSWORD: group.password, ...options.env?.(group) },
      options.replication,
    );
    return { group, app };
  };
}
