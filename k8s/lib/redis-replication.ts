import { readFileSync } from 'node:fs';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { REDIS, resourceRequirements, type ProbeValues } from './chart-defaults.js';
import { names } from './labels.js';
import { contentChecksum } from './pod-extras.js';
import {
  PASSWORD_FILE,
  PROBE_TIMINGS,
  REDIS_PORT,
  clientPeers,
  passwordVolume,
  persistenceWithDefaults,
  probeCommands,
  redisConfHead,
  redisIdentity,
} from './redis-pod.js';
import type { RedisClient, RedisPasswordSecret, RedisPersistence } from './redis.js';

const k8s = kplus.k8s;

/** The Sentinels' name for the primary; the API's REDIS_SENTINEL_MASTER. */
export const SENTINEL_MASTER_SET = 'mymaster';
/** Redis pods, one primary and two replicas, each with a Sentinel. */
const NODES = 3;
const SENTINEL_PORT = 26379;
const SECRET_DIR = '/var/run/secrets/reas';
/** The scripts live with the chart (charts/redis/files), so both renderers ship the same bytes. */
const SCRIPTS = ['ha-common.sh', 'start-redis.sh', 'start-sentinel.sh', 'pre-stop-redis.sh'] as const;

/** Mirrors the chart's `redis.sentinel` values. */
export interface RedisSentinelSettings {
  /** Sentinels that must find the primary unreachable before a failover (1-3). @default `redis.sentinel.quorum` */
  readonly quorum?: number;
  /** How long the primary must be unreachable before a Sentinel considers it down. @default `redis.sentinel.downAfterMilliseconds` */
  readonly downAfterMilliseconds?: number;
  /** Bound of one failover, in ms; a failed one is retried after twice this. @default `redis.sentinel.failoverTimeout` */
  readonly failoverTimeout?: number;
}

export interface RedisReplicationProps {
  /** Release name: prefixes every object name and is the app.kubernetes.io/instance label. */
  readonly release: string;
  /** Namespace the pods' DNS names are in (the Sentinels announce them). */
  readonly namespace: string;
  /** Redis image; its redis-server also runs the Sentinels. @default `<redis.image.repository>:<redis.image.tag>` */
  readonly image?: string;
  /** The Secret holding the password of Redis and the Sentinels. @default { name: `<release>-redis`, key: 'redis-password' } */
  readonly passwordSecret?: RedisPasswordSecret;
  /** Persistence of each pod's /data. @default `redis.persistence` */
  readonly persistence?: RedisPersistence;
  /** redis.conf `appendfsync`. @default `redis.config.appendfsync` */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** redis.conf `maxmemory`. @default `redis.config.maxmemory` */
  readonly maxmemory?: string;
  /** Sentinel settings. @default `redis.sentinel` */
  readonly sentinel?: RedisSentinelSettings;
  /** `hard` requires one node per Redis pod; `soft` prefers it. @default `redis.replication.podAntiAffinity` */
  readonly podAntiAffinity?: 'soft' | 'hard';
  /** The cluster's DNS domain. @default `redis.clusterDomain` */
  readonly clusterDomain?: string;
  /** Client pods admitted to Redis and the Sentinels, by purpose. @default `redis.networkPolicy.allowedClients` */
  readonly allowedClients?: Readonly<Record<string, RedisClient>>;
  /** Isolate the pods with a NetworkPolicy. @default `redis.networkPolicy.enabled` */
  readonly networkPolicy?: boolean;
}

/**
 * Redis as the chart deploys it with `global.redis.architecture: replication` (docs/ha.md): a StatefulSet of three
 * Redis pods with a Sentinel container each, the client and headless Services with both ports, the ConfigMap with
 * redis.conf, the Sentinel template and the start-up/preStop scripts, a ServiceAccount, a NetworkPolicy and a PDB.
 * Typed L1 objects throughout: every field is the chart's, with no library defaults to explain away.
 */
export class RedisReplication extends Construct {
  /** Name of the Service over every Redis pod (ports 6379 and 26379). */
  public readonly serviceName: string;
  /** redis:// URL of that Service, without credentials. */
  public readonly url: string;
  /** The Secret (and key) the password is read from. */
  public readonly passwordSecret: RedisPasswordSecret;
  /** REDIS_SENTINELS for the API: every Sentinel by its pod's name in the headless Service. */
  public readonly sentinels: string;

  constructor(scope: Construct, id: string, props: RedisReplicationProps) {
    super(scope, id);
    const name = names.redis(props.release);
    const headless = names.redisHeadless(props.release);
    const { image, labels, selector } = redisIdentity(props.release, props.image);
    const persistence = persistenceWithDefaults(props.persistence);
    const { quorum, downAfterMilliseconds, failoverTimeout } = REDIS.sentinel;
    const sentinel = { quorum, downAfterMilliseconds, failoverTimeout, ...props.sentinel };
    if (!Number.isInteger(sentinel.quorum) || sentinel.quorum < 1 || sentinel.quorum > NODES) {
      throw new Error(`RedisReplication: sentinel.quorum must be 1-${NODES} (there are ${NODES} Sentinels), got ${sentinel.quorum}`);
    }
    const clusterDomain = props.clusterDomain ?? REDIS.clusterDomain;
    const ordinals = [...Array(NODES).keys()];
    this.serviceName = name;
    this.url = `redis://${name}:${REDIS_PORT}`;
    this.passwordSecret = props.passwordSecret ?? { name, key: REDIS.auth.existingSecretPasswordKey };
    this.sentinels = ordinals.map((i) => `${name}-${i}.${headless}:${SENTINEL_PORT}`).join(',');

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name, labels }, automountServiceAccountToken: false });

    const redisConf = [
      ...redisConfHead(props),
      '# Replicas refuse writes; Sentinel promotes one when the primary goes away.',
      'replica-read-only yes',
      '# A replica that cannot continue from its offset (one that was ahead of the replica a failover promoted) gets',
      '# a full copy at once: Redis\'s default waits 5 s for more replicas to share the transfer, and the service waits',
      '# for every replica Sentinel might promote, so those were 5 s of refused writes (seen on the CI cluster).',
      'repl-diskless-sync-delay 0',
      '# Written at start-up: the password (from the mounted Secret), this pod\'s DNS name, and `replicaof` unless it',
      '# starts as the primary, so no password is in a ConfigMap or on a command line.',
      'include /tmp/redis-start.conf',
      '',
    ].join('\n');
    const sentinelConf = [
      `port ${SENTINEL_PORT}`,
      'dir /sentinel',
      '# The pods are announced and known by their DNS names through the headless Service, which outlive pod IPs.',
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `sentinel monitor ${SENTINEL_MASTER_SET} @MASTER@ ${REDIS_PORT} ${sentinel.quorum}`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER_SET} ${sentinel.downAfterMilliseconds}`,
      `sentinel failover-timeout ${SENTINEL_MASTER_SET} ${sentinel.failoverTimeout}`,
      `sentinel parallel-syncs ${SENTINEL_MASTER_SET} 1`,
      '',
    ].join('\n');
    const scripts = Object.fromEntries(SCRIPTS.map((file) => [file, readFileSync(new URL(`../../charts/redis/files/${file}`, import.meta.url), 'utf8')]));
    const configData = { 'redis.conf': redisConf, 'sentinel.conf': sentinelConf, ...scripts };
    new k8s.KubeConfigMap(this, 'config', { metadata: { name, labels }, data: configData });

    const port = (portName: string, number: number): kplus.k8s.ServicePort => ({ name: portName, port: number, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' });
    new k8s.KubeService(this, 'service', {
      metadata: { name, labels },
      spec: { type: 'ClusterIP', selector, ports: [port('redis', REDIS_PORT), port('sentinel', SENTINEL_PORT)] },
    });
    new k8s.KubeService(this, 'headless', {
      metadata: { name: headless, labels },
      // The announced DNS names must resolve while a pod starts (a replica syncing), not only once it is Ready.
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: [port('redis', REDIS_PORT), port('sentinel', SENTINEL_PORT)] },
    });

    const terminationGracePeriodSeconds = REDIS.terminationGracePeriodSeconds;
    const env: kplus.k8s.EnvVar[] = [
      { name: 'REDIS_NODES', value: ordinals.map((i) => `${name}-${i}.${headless}.${props.namespace}.svc.${clusterDomain}`).join(' ') },
      { name: 'REDIS_PASSWORD_FILE', value: `${SECRET_DIR}/${PASSWORD_FILE}` },
      { name: 'SENTINEL_MASTER_SET', value: SENTINEL_MASTER_SET },
      // A stopping primary waits this long for the failover, inside the grace period.
      { name: 'FAILOVER_WAIT_SECONDS', value: String(terminationGracePeriodSeconds - 5) },
    ];
    // Both containers carry REDIS_PASSWORD_FILE, so the probes read the file it names.
    const probes = (p: number) => {
      const commands = probeCommands('$(cat "$REDIS_PASSWORD_FILE")', p);
      const probe = (command: string[], timings: ProbeValues): kplus.k8s.Probe => ({ exec: { command }, ...timings });
      return {
        startupProbe: probe(commands.ready, PROBE_TIMINGS.startup),
        livenessProbe: probe(commands.alive, PROBE_TIMINGS.liveness),
        readinessProbe: probe(commands.ready, PROBE_TIMINGS.readiness),
      };
    };
    const securityContext = REDIS.securityContext;
    const passwordMount = { name: 'redis-password', mountPath: SECRET_DIR, readOnly: true };
    const configMount = { name: 'config', mountPath: '/etc/redis', readOnly: true };
    const antiAffinityTerm = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } };

    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name, labels },
      spec: {
        serviceName: headless,
        // The name, selector, claim template and pod management are the standalone StatefulSet's, so switching
        // architectures keeps pod 0's data.
        replicas: NODES,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { 'checksum/config': contentChecksum(JSON.stringify(configData)) } },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds,
            securityContext: REDIS.podSecurityContext,
            containers: [
              {
                name: 'redis',
                image,
                imagePullPolicy: 'IfNotPresent',
                securityContext,
                // The image's entrypoint (chown + gosu) needs root; the pod already runs as 999.
                command: ['/bin/sh', '/etc/redis/start-redis.sh'],
                env,
                ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                ...probes(REDIS_PORT),
                // A primary that is about to stop asks a Sentinel to fail over first (pre-stop-redis.sh).
                lifecycle: { preStop: { exec: { command: ['/bin/sh', '/etc/redis/pre-stop-redis.sh'] } } },
                resources: resourceRequirements(REDIS.resources),
                volumeMounts: [{ name: 'data', mountPath: '/data' }, configMount, { name: 'tmp', mountPath: '/tmp' }, passwordMount],
              },
              {
                name: 'sentinel',
                image,
                imagePullPolicy: 'IfNotPresent',
                securityContext,
                command: ['/bin/sh', '/etc/redis/start-sentinel.sh'],
                env,
                ports: [{ name: 'sentinel', containerPort: SENTINEL_PORT, protocol: 'TCP' }],
                ...probes(SENTINEL_PORT),
                resources: resourceRequirements(REDIS.sentinel.resources),
                volumeMounts: [configMount, { name: 'sentinel', mountPath: '/sentinel' }, passwordMount],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name } },
              { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              // Sentinel rewrites its config (the primary, the other Sentinels, the epoch) as it learns.
              { name: 'sentinel', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              passwordVolume(this.passwordSecret),
              ...(persistence.enabled ? [] : [{ name: 'data', emptyDir: {} }]),
            ],
            affinity: {
              podAntiAffinity:
                (props.podAntiAffinity ?? REDIS.replication.podAntiAffinity) === 'hard'
                  ? { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] }
                  : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: antiAffinityTerm }] },
            },
            topologySpreadConstraints: [
              { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
            ],
          },
        },
        ...(persistence.enabled
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: 'data', labels: selector },
                  spec: {
                    accessModes: [persistence.accessMode],
                    ...(persistence.storageClass ? { storageClassName: persistence.storageClass } : {}),
                    resources: { requests: { storage: k8s.Quantity.fromString(persistence.size) } },
                  },
                },
              ],
            }
          : {}),
      },
    });

    if (props.networkPolicy ?? REDIS.networkPolicy.enabled) {
      const bothPorts = [
        { port: k8s.IntOrString.fromString('redis'), protocol: 'TCP' },
        { port: k8s.IntOrString.fromString('sentinel'), protocol: 'TCP' },
      ];
      const admitted = clientPeers(props.release, props.allowedClients);
      new k8s.KubeNetworkPolicy(this, 'network-policy', {
        metadata: { name, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress'],
          ingress: [
            // The Redis pods among themselves: replication, Sentinels watching Redis and each other, the preStop hook.
            { from: [{ podSelector: { matchLabels: selector } }], ports: bothPorts },
            ...(admitted.length > 0
              ? [{ from: admitted, ports: bothPorts }]
              : []),
          ],
        },
      });
    }

    // One Redis pod at a time may be evicted: the primary fails over first, two of three Sentinels remain.
    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name, labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}
