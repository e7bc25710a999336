import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { names, selectorLabels, standardLabels } from './labels.js';
import { RESTRICTED_CONTAINER, addPodSpecPatches, contentChecksum, namedPortService } from './pod-extras.js';

const k8s = kplus.k8s;

/** Where the password file is mounted (bitnami's usePasswordFiles): the start-up script and the probes read it. */
const PASSWORD_DIR = '/var/run/secrets/redis';

/** Where the Redis password comes from: a Secret that exists before the pods start (see README, cdk8s). */
export interface RedisPasswordSecret {
  /** Name of the Secret. @default `<release>-redis` */
  readonly name: string;
  /** Key of the password inside the Secret. @default 'redis-password' */
  readonly key: string;
}

/** One entry of the chart's `redis.networkPolicy.allowedClients`. */
export interface RedisClient {
  /** Admit these pods. @default true */
  readonly enabled?: boolean;
  /** Labels the client pods carry. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** Mirrors the chart's `redis.persistence` values. */
export interface RedisPersistence {
  /** Keep /data on a PersistentVolumeClaim per pod; false uses an emptyDir (data is lost with the pod). @default true */
  readonly enabled?: boolean;
  /** StorageClass of the claim; empty uses the cluster's default class. @default '' */
  readonly storageClass?: string;
  /** Access mode of the claim. @default 'ReadWriteOnce' */
  readonly accessMode?: string;
  /** Requested size. @default '1Gi' */
  readonly size?: string;
}

export interface RedisProps {
  /** Release name: prefixes every object name and is the app.kubernetes.io/instance label. */
  readonly release: string;
  /** Redis image. @default 'redis:7.4.2-bookworm' (uid 999 inside) */
  readonly image?: string;
  /** The Secret holding the password. @default { name: `<release>-redis`, key: 'redis-password' } */
  readonly passwordSecret?: RedisPasswordSecret;
  /** Persistence of /data. @default enabled, 1Gi, ReadWriteOnce, default StorageClass */
  readonly persistence?: RedisPersistence;
  /** redis.conf `appendfsync`. @default 'everysec' */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** redis.conf `maxmemory` (0 = no limit; the container memory limit bounds it). @default '0' */
  readonly maxmemory?: string;
  /**
   * Pods allowed to reach Redis (the chart's `networkPolicy.allowedClients`), by purpose; each label set is ANDed
   * with the release's instance label. @default the release's API pods (`api`) and its test Job (`test`)
   */
  readonly allowedClients?: Readonly<Record<string, RedisClient>>;
  /** Port of the ClusterIP Service clients use (the chart's `global.redis.service.port`). @default 6379 */
  readonly servicePort?: number;
  /** Isolate Redis with a NetworkPolicy that admits only `allowedClients`. @default true */
  readonly networkPolicy?: boolean;
}

/**
 * Redis as the chart's `redis` subchart deploys it: a one-replica StatefulSet with AOF on a claim, its ClusterIP and
 * headless Services, ConfigMap, ServiceAccount and NetworkPolicy. The password Secret is referenced, not created.
 */
export class Redis extends Construct {
  /** Name of the ClusterIP Service clients connect to. */
  public readonly serviceName: string;
  /** Port Redis listens on in its container (and the headless Service's). */
  public readonly port: number = 6379;
  /** Port of the ClusterIP Service (the chart's `global.redis.service.port`). */
  public readonly servicePort: number;
  /** redis:// URL of the Service, without credentials. */
  public readonly url: string;
  /** The Secret (and key) the password is read from. */
  public readonly passwordSecret: RedisPasswordSecret;
  /** The StatefulSet. */
  public readonly statefulSet: kplus.StatefulSet;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const name = names.redis(props.release);
    const image = props.image ?? 'redis:7.4.2-bookworm';
    const labels = standardLabels({ name: 'redis', instance: props.release, version: image.split(':')[1] ?? 'latest', component: 'database' });
    const selector = selectorLabels({ name: 'redis', instance: props.release });
    const persistence = { enabled: true, storageClass: '', accessMode: 'ReadWriteOnce', size: '1Gi', ...props.persistence };
    this.serviceName = name;
    this.servicePort = props.servicePort ?? this.port;
    this.url = `redis://${name}:${this.servicePort}`;
    this.passwordSecret = props.passwordSecret ?? { name, key: 'redis-password' };

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name, labels },
      automountToken: false,
    });

    const redisConf = [
      'bind * -::*',
      `port ${this.port}`,
      'protected-mode yes',
      'dir /data',
      '# AOF is the persistence; RDB snapshots on top would only add I/O.',
      'appendonly yes',
      'appenddirname "appendonlydir"',
      `appendfsync ${props.appendfsync ?? 'everysec'}`,
      'save ""',
      `maxmemory ${props.maxmemory ?? '0'}`,
      'maxmemory-policy noeviction',
      '# Written at start-up from the Secret, so the password is in no ConfigMap and on no command line.',
      'include /tmp/redis-auth.conf',
      '',
    ].join('\n');
    const config = new kplus.ConfigMap(this, 'config', { metadata: { name, labels }, data: { 'redis.conf': redisConf } });

    const headless = new kplus.Service(this, 'headless', {
      metadata: { name: names.redisHeadless(props.release), labels },
      clusterIP: 'None',
      ports: [{ name: 'redis', port: this.port, targetPort: this.port, protocol: kplus.Protocol.TCP }],
    });
    // kplus.Service takes numeric target ports only; the chart targets the named port, which survives a port change.
    const headlessObject = ApiObject.of(headless);
    headlessObject.addJsonPatch(
      JsonPatch.add('/spec/ports/0/targetPort', k8s.IntOrString.fromString('redis')),
      // ClusterIP is the default type; the chart's headless Service leaves it out.
      JsonPatch.remove('/spec/type'),
      // kplus selects by its per-construct address label; the chart's minimal selector labels are what upgrades keep.
      JsonPatch.replace('/spec/selector', selector),
      JsonPatch.add('/spec/publishNotReadyAddresses', true),
      JsonPatch.remove('/spec/externalIPs'),
    );

    namedPortService(this, 'service', { name, labels, selector, portName: 'redis', port: this.servicePort });

    // The probes read the password file into REDISCLI_AUTH for redis-cli alone: in no env var and on no command line.
    const ping = `REDISCLI_AUTH="$(cat ${PASSWORD_DIR}/redis-password)" redis-cli -h 127.0.0.1 -p ${this.port} ping`;
    const probe = () => ['/bin/sh', '-c', `${ping} | grep -qx PONG`];
    // Alive while it answers at all: a Redis loading a large AOF (LOADING) or a replica without its master
    // (MASTERDOWN) must not be restarted; readiness keeps clients away until PONG.
    const alive = () => ['/bin/sh', '-c', `case "$(${ping})" in PONG|LOADING*|MASTERDOWN*) exit 0;; *) exit 1;; esac`];
    const password = kplus.Secret.fromSecretName(this, 'password', this.passwordSecret.name);
    const sts = new kplus.StatefulSet(this, 'statefulset', {
      metadata: { name, labels },
      // One instance: the counter needs one writer, and AOF on a claim is its durability.
      replicas: 1,
      service: headless,
      select: false,
      podMetadata: { labels, annotations: { 'checksum/config': contentChecksum(redisConf) } },
      serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
      securityContext: {
        ensureNonRoot: true,
        user: 999,
        group: 999,
        fsGroup: 999,
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      containers: [
        {
          name: 'redis',
          image,
          // Images loaded into kind/minikube must be used as they are: no pull when the tag is present.
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [
            '/bin/sh',
            '-c',
            `set -eu\numask 077\npassword=$(cat ${PASSWORD_DIR}/redis-password)\nprintf 'requirepass "%s"\\n' "$password" > /tmp/redis-auth.conf\nexec redis-server /etc/redis/redis.conf\n`,
          ],
          ports: [{ name: 'redis', number: this.port, protocol: kplus.Protocol.TCP }],
          startup: kplus.Probe.fromCommand(probe(), { periodSeconds: Duration.seconds(2), timeoutSeconds: Duration.seconds(3), failureThreshold: 150 }),
          liveness: kplus.Probe.fromCommand(alive(), { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 6 }),
          readiness: kplus.Probe.fromCommand(probe(), { periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 }),
          // Laptop-sized: Redis holding one counter needs a few MiB; no CPU limit, so no throttling on a busy node.
          resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) } },
          securityContext: RESTRICTED_CONTAINER,
          volumeMounts: [],
        },
      ],
    });
    sts.select(kplus.LabelSelector.of({ labels: selector }));
    const container = sts.containers[0] as kplus.Container;
    // The root filesystem stays read-only: /data is the claim (or an emptyDir), /tmp a tiny tmpfs for the auth file.
    const dataPath = '/data';
    if (!persistence.enabled) {
      container.mount(dataPath, kplus.Volume.fromEmptyDir(this, 'data', 'data'));
    }
    container.mount('/etc/redis', kplus.Volume.fromConfigMap(this, 'config-volume', config, { name: 'config' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }));
    container.mount(
      PASSWORD_DIR,
      kplus.Volume.fromSecret(this, 'password-volume', password, {
        name: 'redis-password',
        defaultMode: 0o440,
        items: { [this.passwordSecret.key]: { path: 'redis-password' } },
      }),
      { readOnly: true },
    );

    const stsObject = ApiObject.of(sts);
    addPodSpecPatches(stsObject);
    stsObject.addJsonPatch(
      // kplus emits the default partition; the chart leaves the RollingUpdate strategy bare.
      JsonPatch.remove('/spec/updateStrategy/rollingUpdate'),
    );
    if (persistence.enabled) {
      // cdk8s-plus-27 has no volumeClaimTemplates: the claim is the typed L1 PersistentVolumeClaim, patched in.
      // Props-shaped (not toJson_-ed): the StatefulSet's typed serializer reads patched values as props.
      const claim: kplus.k8s.KubePersistentVolumeClaimProps = {
        metadata: { name: 'data', labels: selector },
        spec: {
          accessModes: [persistence.accessMode],
          ...(persistence.storageClass ? { storageClassName: persistence.storageClass } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(persistence.size) } },
        },
      };
      stsObject.addJsonPatch(
        JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/0', { name: 'data', mountPath: dataPath }),
        JsonPatch.add('/spec/volumeClaimTemplates', [claim]),
      );
    }

    if (props.networkPolicy ?? true) {
      const clients = props.allowedClients ?? {
        api: { podLabels: { 'app.kubernetes.io/name': 'api' } },
        test: { podLabels: { 'app.kubernetes.io/name': 'reas', 'app.kubernetes.io/component': 'test' } },
      };
      new k8s.KubeNetworkPolicy(this, 'network-policy', {
        metadata: { name, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: Object.values(clients)
                .filter((c) => c.enabled ?? true)
                .map((c) => ({ podSelector: { matchLabels: { ...c.podLabels, 'app.kubernetes.io/instance': props.release } } })),
              ports: [{ port: k8s.IntOrString.fromString('redis'), protocol: 'TCP' }],
            },
          ],
        },
      });
    }
    this.statefulSet = sts;
  }
}
