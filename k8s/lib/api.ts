import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { API, containerResources, imageRef, type ProbeValues } from './chart-defaults.js';
import { names, selectorLabels, standardLabels } from './labels.js';
import { RESTRICTED_CONTAINER, addPatchAfterTypedSerialization, addPodSpecPatches, namedPortService } from './pod-extras.js';
import type { RedisPasswordSecret } from './redis.js';

const k8s = kplus.k8s;

/** Mirrors the chart's `api.autoscaling` values. */
export interface ApiAutoscaling {
  /** Minimum replicas. @default `api.autoscaling.minReplicas` */
  readonly minReplicas?: number;
  /** Maximum replicas. @default `api.autoscaling.maxReplicas` */
  readonly maxReplicas?: number;
  /** Target average CPU utilisation, percent of the request. @default `api.autoscaling.targetCPUUtilizationPercentage` */
  readonly targetCpuUtilizationPercentage?: number;
}

export interface ApiProps {
  /** Release name: prefixes every object name and is the app.kubernetes.io/instance label. */
  readonly release: string;
  /** Application version: the app.kubernetes.io/version label and the default image tag. */
  readonly version: string;
  /** API image. @default `<api.image.repository>:<version>` */
  readonly image?: string;
  /** Replicas when autoscaling is off. @default `api.replicaCount` */
  readonly replicas?: number;
  /** Redis URL without credentials, e.g. the Redis construct's `url` or an external one. */
  readonly redisUrl: string;
  /** The Secret holding the Redis password, mounted as a file (REDIS_PASSWORD_FILE); none for a Redis without one. */
  readonly redisPasswordSecret?: RedisPasswordSecret;
  /**
   * Sentinel mode: REDIS_SENTINELS (comma-separated host:port) of a Redis in replication mode; the service asks these
   * for the primary (master name REDIS_SENTINEL_MASTER, `mymaster`). @default none (standalone)
   */
  readonly redisSentinels?: string;
  /** Seconds the preStop hook sleeps before SIGTERM; 0 = no hook. @default `api.preStopSleepSeconds` */
  readonly preStopSleepSeconds?: number;
  /** Redis key of the counter. @default `api.config.counterKey` */
  readonly counterKey?: string;
  /** Log level. @default `api.config.logLevel` */
  readonly logLevel?: string;
  /** HorizontalPodAutoscaler on CPU; undefined = none (the chart's `autoscaling.enabled: false`). @default none */
  readonly autoscaling?: ApiAutoscaling;
  /** Longest request body in bytes (MAX_BODY_BYTES). @default `api.config.maxBodyBytes` */
  readonly maxBodyBytes?: number;
  /** PriorityClass of the pods (the chart's `priorityClassName`); undefined = the cluster's default. @default none */
  readonly priorityClassName?: string;
  /**
   * Isolate the API pods with a NetworkPolicy (the chart's `networkPolicy.enabled`): ingress on `http` from anyone,
   * egress to DNS and to Redis only (the bundled Redis pods of the release, or any address on the external URL's port).
   * @default `api.networkPolicy.enabled`
   */
  readonly networkPolicy?: boolean;
  /** PodDisruptionBudget maxUnavailable; undefined = no PDB (ReasChart passes `api.podDisruptionBudget.maxUnavailable`). @default no PDB */
  readonly pdbMaxUnavailable?: number | undefined;
}

/** Where the password file is mounted; the service reads REDIS_PASSWORD_FILE. */
const SECRET_DIR = '/var/run/secrets/reas';
/** The file name is fixed whatever the Secret's key, so REDIS_PASSWORD_FILE is the same for every Secret. */
const PASSWORD_FILE = 'redis-password';
/** The container port, fixed in the chart's Deployment as well; the Service's port is `api.service.port`. */
const PORT = 5000;

/**
 * The API as the chart's `api` subchart deploys it: Deployment, Service, ServiceAccount, PDB and (opt-in) HPA.
 */
export class Api extends Construct {
  /** Name of the Service. */
  public readonly serviceName: string;
  /** Port of the Service. */
  public readonly port: number = API.service.port;
  /** In-cluster base URL of the API, e.g. for the test Job. */
  public readonly url: string;
  /** The Deployment. */
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const name = names.api(props.release);
    const labels = standardLabels({ name: 'api', instance: props.release, version: props.version, component: 'api' });
    const selector = selectorLabels({ name: 'api', instance: props.release });
    this.serviceName = name;
    this.url = `http://${name}:${this.port}`;

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', { metadata: { name, labels }, automountToken: false });

    const httpProbe = (path: string, probe: ProbeValues) =>
      kplus.Probe.fromHttpGet(path, {
        port: PORT,
        periodSeconds: Duration.seconds(probe.periodSeconds),
        timeoutSeconds: Duration.seconds(probe.timeoutSeconds),
        failureThreshold: probe.failureThreshold,
      });
    const env = (value: string) => kplus.EnvValue.fromValue(value);
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name, labels },
      replicas: props.replicas ?? API.replicaCount,
      // Surge one, never drop below the desired count: a one-node laptop cluster keeps serving during a roll out.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(API.strategy.maxSurge),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(API.strategy.maxUnavailable),
      }),
      select: false,
      podMetadata: { labels },
      serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(API.terminationGracePeriodSeconds),
      securityContext: { ensureNonRoot: true, user: API.podSecurityContext.runAsUser, group: API.podSecurityContext.runAsGroup, fsGroup: API.podSecurityContext.fsGroup },
      containers: [
        {
          name: 'api',
          image: props.image ?? imageRef(API.image, props.version),
          // Images loaded into kind/minikube must be used as they are: no pull when the tag is present.
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ name: 'http', number: PORT, protocol: kplus.Protocol.TCP }],
          envVariables: {
            PORT: env(String(PORT)),
            REDIS_URL: env(props.redisUrl),
            ...(props.redisPasswordSecret ? { REDIS_PASSWORD_FILE: env(`${SECRET_DIR}/${PASSWORD_FILE}`) } : {}),
            ...(props.redisSentinels ? { REDIS_SENTINELS: env(props.redisSentinels), REDIS_SENTINEL_MASTER: env('mymaster') } : {}),
            COUNTER_KEY: env(props.counterKey ?? API.config.counterKey),
            REDIS_TIMEOUT_MS: env(String(API.config.redisTimeoutMs)),
            SHUTDOWN_TIMEOUT_MS: env(String(API.config.shutdownTimeoutMs)),
            REQUEST_TIMEOUT_MS: env(String(API.config.requestTimeoutMs)),
            MAX_CONNECTIONS: env(String(API.config.maxConnections)),
            LOG_LEVEL: env(props.logLevel ?? API.config.logLevel),
            MAX_BODY_BYTES: env(String(props.maxBodyBytes ?? API.config.maxBodyBytes)),
          },
          startup: httpProbe('/ok', API.startupProbe),
          liveness: httpProbe('/ok', API.livenessProbe),
          readiness: httpProbe('/readyz', API.readinessProbe),
          resources: containerResources(API.resources),
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels: selector }));
    const container = deployment.containers[0] as kplus.Container;
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    if (props.redisPasswordSecret) {
      const password = kplus.Secret.fromSecretName(this, 'redis-password', props.redisPasswordSecret.name);
      container.mount(
        SECRET_DIR,
        kplus.Volume.fromSecret(this, 'redis-password-volume', password, {
          name: 'redis-password',
          // Read-only for the owner and the fsGroup; the secret is nobody else's business.
          defaultMode: 0o440,
          items: { [props.redisPasswordSecret.key]: { path: PASSWORD_FILE } },
        }),
        { readOnly: true },
      );
    }

    const object = ApiObject.of(deployment);
    addPodSpecPatches(object);
    const probes = ['startupProbe', 'livenessProbe', 'readinessProbe'];
    // Pod spreading over nodes and zones, soft so a one-node cluster still schedules both replicas; matchLabelKeys
    // keeps the old ReplicaSet's pods out of the count during a roll out.
    const spread = ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) =>
      k8s.toJson_TopologySpreadConstraint({
        topologyKey,
        maxSkew: API.topologySpread.maxSkew,
        whenUnsatisfiable: API.topologySpread.whenUnsatisfiable,
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ['pod-template-hash'],
      }),
    );
    object.addJsonPatch(
      // The named port survives a port change; kplus probes take numbers only.
      // (Patch values are re-read by the typed serializer, hence IntOrString rather than a bare string.)
      ...probes.map((p) => JsonPatch.add(`/spec/template/spec/containers/0/${p}/httpGet/port`, k8s.IntOrString.fromString('http'))),
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', spread),
      JsonPatch.add('/spec/revisionHistoryLimit', 5),
    );
    if (props.priorityClassName !== undefined) object.addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', props.priorityClassName));

    // Endpoints drop a terminating pod asynchronously; sleeping before SIGTERM lets in-flight routing settle. The
    // `sleep` action (Kubernetes 1.30+) is newer than cdk8s-plus-27's types.
    const preStopSleep = props.preStopSleepSeconds ?? API.preStopSleepSeconds;
    if (preStopSleep > 0) {
      addPatchAfterTypedSerialization(object, JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: preStopSleep } } }));
    }

    namedPortService(this, 'service', { name, labels, selector, portName: 'http', port: this.port });

    if (props.networkPolicy ?? API.networkPolicy.enabled) {
      const redis = new URL(props.redisUrl);
      const bundled = props.redisUrl.startsWith(`redis://${names.redis(props.release)}:`);
      const tcp = (port: number) => ({ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' });
      new k8s.KubeNetworkPolicy(this, 'network-policy', {
        metadata: { name, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ ports: [{ port: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] }],
          egress: [
            // DNS, to whichever resolver the cluster runs (a Service, a node-local cache).
            { ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, tcp(53)] },
            bundled
              ? {
                  to: [{ podSelector: { matchLabels: selectorLabels({ name: 'redis', instance: props.release }) } }],
                  // Replication mode: the Sentinels beside them, which name the primary.
                  ports: props.redisSentinels ? [tcp(6379), tcp(26379)] : [tcp(6379)],
                }
              : { ports: [tcp(Number(redis.port || 6379))] },
          ],
        },
      });
    }
    if (props.pdbMaxUnavailable !== undefined) {
      new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: { name, labels },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(props.pdbMaxUnavailable), selector: { matchLabels: selector } },
      });
    }
    if (props.autoscaling) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
        metadata: { name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: props.autoscaling.minReplicas ?? API.autoscaling.minReplicas,
          maxReplicas: props.autoscaling.maxReplicas ?? API.autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.autoscaling.targetCpuUtilizationPercentage ?? API.autoscaling.targetCPUUtilizationPercentage } },
            },
          ],
        },
      });
      // The HPA owns the replica count; a fixed one would fight it on every apply.
      object.addJsonPatch(JsonPatch.remove('/spec/replicas'));
    }
    this.deployment = deployment;
  }
}
