import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { names, selectorLabels, standardLabels } from './labels.js';
import { RESTRICTED_CONTAINER, addPatchAfterTypedSerialization, addPodSpecPatches, namedPortService } from './pod-extras.js';
import type { RedisPasswordSecret } from './redis.js';

const k8s = kplus.k8s;

/** Mirrors the chart's `api.autoscaling` values. */
export interface ApiAutoscaling {
  /** Minimum replicas. @default 2 */
  readonly minReplicas?: number;
  /** Maximum replicas. @default 6 */
  readonly maxReplicas?: number;
  /** Target average CPU utilisation, percent of the request. @default 75 */
  readonly targetCpuUtilizationPercentage?: number;
}

export interface ApiProps {
  /** Release name: prefixes every object name and is the app.kubernetes.io/instance label. */
  readonly release: string;
  /** Application version: the app.kubernetes.io/version label and the default image tag. */
  readonly version: string;
  /** API image. @default `reas:<version>` */
  readonly image?: string;
  /** Replicas when autoscaling is off. @default 2 (one can drain while the other serves) */
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
  /** Seconds the preStop hook sleeps before SIGTERM; 0 = no hook. @default 5 */
  readonly preStopSleepSeconds?: number;
  /** Redis key of the counter. @default 'count' */
  readonly counterKey?: string;
  /** Log level. @default 'info' */
  readonly logLevel?: string;
  /** HorizontalPodAutoscaler on CPU; undefined = none (the chart's `autoscaling.enabled: false`). @default none */
  readonly autoscaling?: ApiAutoscaling;
  /** Longest request body in bytes (MAX_BODY_BYTES; the chart's `config.maxBodyBytes`). @default 1024 */
  readonly maxBodyBytes?: number;
  /** PriorityClass of the pods (the chart's `priorityClassName`); undefined = the cluster's default. @default none */
  readonly priorityClassName?: string;
  /**
   * Isolate the API pods with a NetworkPolicy (the chart's `networkPolicy.enabled`): ingress on `http` from anyone,
   * egress to DNS and to Redis only (the bundled Redis pods of the release, or any address on the external URL's port).
   * @default true
   */
  readonly networkPolicy?: boolean;
  /** PodDisruptionBudget maxUnavailable; undefined = no PDB (ReasChart passes the chart's 1). @default no PDB */
  readonly pdbMaxUnavailable?: number | undefined;
}

/** Where the password file is mounted; the service reads REDIS_PASSWORD_FILE. */
const SECRET_DIR = '/var/run/secrets/reas';
/** The file name is fixed whatever the Secret's key, so REDIS_PASSWORD_FILE is the same for every Secret. */
const PASSWORD_FILE = 'redis-password';
const PORT = 5000;

/**
 * The API as the chart's `api` subchart deploys it: Deployment, Service, ServiceAccount, PDB and (opt-in) HPA.
 */
export class Api extends Construct {
  /** Name of the Service. */
  public readonly serviceName: string;
  /** Port of the Service. */
  public readonly port: number = PORT;
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
    this.url = `http://${name}:${PORT}`;

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', { metadata: { name, labels }, automountToken: false });

    const httpProbe = (path: string, period: number, failures: number) =>
      kplus.Probe.fromHttpGet(path, { port: PORT, periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(2), failureThreshold: failures });
    const env = (value: string) => kplus.EnvValue.fromValue(value);
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name, labels },
      replicas: props.replicas ?? 2,
      // Surge one, never drop below the desired count: a one-node laptop cluster keeps serving during a roll out.
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      select: false,
      podMetadata: { labels },
      serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: 10001, group: 10001, fsGroup: 10001 },
      containers: [
        {
          name: 'api',
          image: props.image ?? `reas:${props.version}`,
          // Images loaded into kind/minikube must be used as they are: no pull when the tag is present.
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ name: 'http', number: PORT, protocol: kplus.Protocol.TCP }],
          envVariables: {
            PORT: env(String(PORT)),
            REDIS_URL: env(props.redisUrl),
            ...(props.redisPasswordSecret ? { REDIS_PASSWORD_FILE: env(`${SECRET_DIR}/${PASSWORD_FILE}`) } : {}),
            ...(props.redisSentinels ? { REDIS_SENTINELS: env(props.redisSentinels), REDIS_SENTINEL_MASTER: env('mymaster') } : {}),
            COUNTER_KEY: env(props.counterKey ?? 'count'),
            REDIS_TIMEOUT_MS: env('1000'),
            SHUTDOWN_TIMEOUT_MS: env('10000'),
            REQUEST_TIMEOUT_MS: env('10000'),
            MAX_CONNECTIONS: env('4096'),
            LOG_LEVEL: env(props.logLevel ?? 'info'),
            MAX_BODY_BYTES: env(String(props.maxBodyBytes ?? 1024)),
          },
          startup: httpProbe('/ok', 1, 60),
          liveness: httpProbe('/ok', 10, 3),
          readiness: httpProbe('/readyz', 5, 2),
          // Laptop-sized: Node idles near 60 MiB; no CPU limit, so no throttling of the event loop on a busy node.
          resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(96), limit: Size.mebibytes(256) } },
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
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
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
    const preStopSleep = props.preStopSleepSeconds ?? 5;
    if (preStopSleep > 0) {
      addPatchAfterTypedSerialization(object, JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: preStopSleep } } }));
    }

    namedPortService(this, 'service', { name, labels, selector, portName: 'http', port: PORT });

    if (props.networkPolicy ?? true) {
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
          minReplicas: props.autoscaling.minReplicas ?? 2,
          maxReplicas: props.autoscaling.maxReplicas ?? 6,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.autoscaling.targetCpuUtilizationPercentage ?? 75 } },
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
