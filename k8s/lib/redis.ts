import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { REDIS, containerResources, type ProbeValues } from './chart-defaults.js';
import { names } from './labels.js';
import { RESTRICTED_CONTAINER, addPodSpecPatches, contentChecksum, namedPortService } from './pod-extras.js';
import {
  PASSWORD_FILE,
  PROBE_TIMINGS,
  REDIS_PORT,
  clientPeers,
  passwordVolumeOptions,
  persistenceWithDefaults,
  probeCommands,
  redisConfHead,
  redisIdentity,
} from './redis-pod.js';

const k8s = kplus.k8s;

/** Where the password file is mounted (bitnami's usePasswordFiles): the start-up script and the probes read it. */
const PASSWORD_DIR = '/var/run/secrets/redis';

/** Where the Redis password comes from: a Secret that exists before the pods start (see README, cdk8s). */
export interface RedisPasswordSecret {
  /** Name of the Secret. @default `<release>-redis` (the chart's generated Secret) */
  readonly name: string;
  /** Key of the password inside the Secret. @default `redis.auth.existingSecretPasswordKey` */
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
  /** Keep /data on a PersistentVolumeClaim per pod; false uses an emptyDir (data is lost with the pod). @default `redis.persistence.enabled` */
  readonly enabled?: boolean;
  /** StorageClass of the claim; empty uses the cluster's default class. @default `redis.persistence.storageClass` */
  readonly storageClass?: string;
  /** Access mode of the claim. @default `redis.persistence.accessMode` */
  readonly accessMode?: string;
  /** Requested size. @default `redis.persistence.size` */
  readonly size?: string;
}

export interface RedisProps {
  /** Release name: prefixes every object name and is the app.kubernetes.io/instance label. */
  readonly release: string;
  /** Redis image. @default `<redis.image.repository>:<redis.image.tag>` */
  readonly image?: string;
  /** The Secret holding the password. @default { name: `<release>-redis`, key: 'redis-password' } */
  readonly passwordSecret?: RedisPasswordSecret;
  /** Persistence of /data. @default `redis.persistence` */
  readonly persistence?: RedisPersistence;
  /** redis.conf `appendfsync`. @default `redis.config.appendfsync` */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** redis.conf `maxmemory` (0 = no limit; the container memory limit bounds it). @default `redis.config.maxmemory` */
  readonly maxmemory?: string;
  /**
   * Pods allowed to reach Redis (the chart's `networkPolicy.allowedClients`), by purpose; each label set is ANDed
   * with the release's instance label. @default `redis.networkPolicy.allowedClients` (the release's API and test pods)
   */
  readonly allowedClients?: Readonly<Record<string, RedisClient>>;
  /** Port of the ClusterIP Service clients use (the chart's `global.redis.service.port`). @default `redis.service.port` */
  readonly servicePort?: number;
  /** Isolate Redis with a NetworkPolicy that admits only `allowedClients`. @default `redis.networkPolicy.enabled` */
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
  public readonly port: number = REDIS_PORT;
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
    const { image, labels, selector } = redisIdentity(props.release, props.image);
    const persistence = persistenceWithDefaults(props.persistence);
    this.serviceName = name;
    this.servicePort = props.servicePort ?? REDIS.service.port;
    this.url = `redis://${name}:${this.servicePort}`;
    this.passwordSecret = props.passwordSecret ?? { name, key: REDIS.auth.existingSecretPasswordKey };

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name, labels },
      automountToken: false,
    });

    const redisConf = [
      ...redisConfHead(props),
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

    const commands = probeCommands(`"$(cat ${PASSWORD_DIR}/${PASSWORD_FILE})"`, this.port);
    const probe = (command: string[], timings: ProbeValues) =>
      kplus.Probe.fromCommand(command, {
        periodSeconds: Duration.seconds(timings.periodSeconds),
        timeoutSeconds: Duration.seconds(timings.timeoutSeconds),
        failureThreshold: timings.failureThreshold,
      });
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
      terminationGracePeriod: Duration.seconds(REDIS.terminationGracePeriodSeconds),
      securityContext: {
        ensureNonRoot: true,
        user: REDIS.podSecurityContext.runAsUser,
        group: REDIS.podSecurityContext.runAsGroup,
        fsGroup: REDIS.podSecurityContext.fsGroup,
        fsGroupChangePolicy: REDIS.podSecurityContext.fsGroupChangePolicy as kplus.FsGroupChangePolicy,
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
          startup: probe(commands.ready, PROBE_TIMINGS.startup),
          liveness: probe(commands.alive, PROBE_TIMINGS.liveness),
          readiness: probe(commands.ready, PROBE_TIMINGS.readiness),
          resources: containerResources(REDIS.resources),
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
      kplus.Volume.fromSecret(this, 'password-volume', password, passwordVolumeOptions(this.passwordSecret)),
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

    if (props.networkPolicy ?? REDIS.networkPolicy.enabled) {
      new k8s.KubeNetworkPolicy(this, 'network-policy', {
        metadata: { name, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: clientPeers(props.release, props.allowedClients),
              ports: [{ port: k8s.IntOrString.fromString('redis'), protocol: 'TCP' }],
            },
          ],
        },
      });
    }
    this.statefulSet = sts;
  }
}
