/**
 * What the standalone Redis (redis.ts, cdk8s-plus) and the replication mode (redis-replication.ts, typed L1 objects)
 * deploy alike: the labels, redis.conf's common part, the authenticated probes, the password volume and the default
 * clients. One place, so switching architectures changes only what replication adds, as in the chart.
 */
import type * as kplus from 'cdk8s-plus-27';
import { selectorLabels, standardLabels } from './labels.js';
import { REDIS, imageRef, type ProbeValues } from './chart-defaults.js';
import type { RedisClient, RedisPasswordSecret, RedisPersistence } from './redis.js';

export const REDIS_PORT = 6379;
/** The file name is fixed whatever the Secret's key, so the start-up script and the probes always read the same path. */
export const PASSWORD_FILE = 'redis-password';

/** The image, labels and selector of every Redis object of a release. */
export function redisIdentity(release: string, image = imageRef(REDIS.image)) {
  return {
    image,
    labels: standardLabels({ name: 'redis', instance: release, version: image.split(':')[1] ?? 'latest', component: 'database' }),
    selector: selectorLabels({ name: 'redis', instance: release }),
  };
}

/** The claim settings: the chart's `redis.persistence` under the given ones. */
export function persistenceWithDefaults(persistence?: RedisPersistence) {
  return { ...REDIS.persistence, ...persistence };
}

/** redis.conf as both architectures start it, up to the lines only one of them adds. */
export function redisConfHead(props: { readonly appendfsync?: string | undefined; readonly maxmemory?: string | undefined }): string[] {
  return [
    'bind * -::*',
    `port ${REDIS_PORT}`,
    'protected-mode yes',
    'dir /data',
    '# AOF is the persistence; RDB snapshots on top would only add I/O.',
    'appendonly yes',
    'appenddirname "appendonlydir"',
    `appendfsync ${props.appendfsync ?? REDIS.config.appendfsync}`,
    'save ""',
    `maxmemory ${props.maxmemory ?? REDIS.config.maxmemory}`,
    'maxmemory-policy noeviction',
  ];
}

/**
 * The probes' commands: an authenticated PING whose password is read from the mounted file into REDISCLI_AUTH, for
 * redis-cli alone (in no env var of the spec, on no command line). `auth` is the shell word that reads it.
 */
export function probeCommands(auth: string, port: number) {
  const ping = `REDISCLI_AUTH=${auth} redis-cli -h 127.0.0.1 -p ${port} ping`;
  return {
    ready: ['/bin/sh', '-c', `${ping} | grep -qx PONG`],
    // Alive while it answers at all: a Redis loading a large AOF (LOADING) or a replica without its master
    // (MASTERDOWN) must not be restarted; readiness keeps clients away until PONG.
    alive: ['/bin/sh', '-c', `case "$(${ping})" in PONG|LOADING*|MASTERDOWN*) exit 0;; *) exit 1;; esac`],
  };
}

/** The chart's probe timings: startup and readiness run the PONG check, liveness the alive one. */
export const PROBE_TIMINGS: { readonly startup: ProbeValues; readonly liveness: ProbeValues; readonly readiness: ProbeValues } = {
  startup: REDIS.startupProbe,
  liveness: REDIS.livenessProbe,
  readiness: REDIS.readinessProbe,
};

const PASSWORD_VOLUME = 'redis-password';
/** Read-only for the owner and the fsGroup; the password is nobody else's business. */
const PASSWORD_MODE = 0o440;

/** The Secret volume holding the password file, as a typed L1 volume (replication). */
export function passwordVolume(secret: RedisPasswordSecret): kplus.k8s.Volume {
  return { name: PASSWORD_VOLUME, secret: { secretName: secret.name, defaultMode: PASSWORD_MODE, items: [{ key: secret.key, path: PASSWORD_FILE }] } };
}

/** The same volume's options for cdk8s-plus' Volume.fromSecret (standalone). */
export function passwordVolumeOptions(secret: RedisPasswordSecret): kplus.SecretVolumeOptions {
  return { name: PASSWORD_VOLUME, defaultMode: PASSWORD_MODE, items: { [secret.key]: { path: PASSWORD_FILE } } };
}

/** The clients admitted to Redis when none are given: the chart's `redis.networkPolicy.allowedClients`. */
export const DEFAULT_CLIENTS: Readonly<Record<string, RedisClient>> = REDIS.networkPolicy.allowedClients;

/** The NetworkPolicy `from` peers of the admitted clients, each ANDed with the release's instance label. */
export function clientPeers(release: string, clients: Readonly<Record<string, RedisClient>> = DEFAULT_CLIENTS) {
  return Object.values(clients)
    .filter((c) => c.enabled ?? true)
    .map((c) => ({ podSelector: { matchLabels: { ...c.podLabels, 'app.kubernetes.io/instance': release } } }));
}
