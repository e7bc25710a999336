/**
 * The chart's default values, read from charts/api/values.yaml, charts/redis/values.yaml and the umbrella's `test:`
 * block when the app synthesizes. Every default a construct shares with the chart comes from here, so a value is
 * changed in one file and test/k8s/parity.test.ts compares the structure of the two renderings, not numbers copied
 * from one into the other. (`yaml` is a devDependency like cdk8s itself: the app only runs at synth time, under tsx.)
 */
import { readFileSync } from 'node:fs';
import * as kplus from 'cdk8s-plus-27';
import { Size } from 'cdk8s';
import { parse } from 'yaml';

const k8s = kplus.k8s;

/** A probe's timings, as every probe block of the charts' values has them. */
export interface ProbeValues {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** A container's `resources` block of the charts' values: CPU and memory requests, a memory limit. */
export interface ResourceValues {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string };
}

interface PodSecurityValues {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
}

interface ImageValues {
  readonly repository: string;
  readonly pullPolicy: string;
  readonly tag: string;
}

/** The keys of charts/api/values.yaml the cdk8s app follows. */
export interface ApiValues {
  readonly replicaCount: number;
  readonly image: ImageValues;
  readonly podSecurityContext: PodSecurityValues;
  readonly service: { readonly port: number };
  readonly resources: ResourceValues;
  readonly livenessProbe: ProbeValues;
  readonly readinessProbe: ProbeValues;
  readonly startupProbe: ProbeValues;
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number };
  readonly config: {
    readonly logLevel: string;
    readonly counterKey: string;
    readonly redisTimeoutMs: number;
    readonly shutdownTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxConnections: number;
    readonly maxBodyBytes: number;
  };
  readonly strategy: { readonly maxUnavailable: number; readonly maxSurge: number };
  readonly preStopSleepSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  readonly podDisruptionBudget: { readonly maxUnavailable: number };
  readonly topologySpread: { readonly maxSkew: number; readonly whenUnsatisfiable: string };
  readonly networkPolicy: { readonly enabled: boolean };
}

/** The keys of charts/redis/values.yaml the cdk8s app follows. */
export interface RedisValues {
  readonly image: ImageValues;
  readonly podSecurityContext: PodSecurityValues & { readonly fsGroupChangePolicy: string };
  readonly service: { readonly port: number };
  readonly auth: { readonly existingSecretPasswordKey: string };
  readonly config: { readonly appendfsync: 'always' | 'everysec' | 'no'; readonly maxmemory: string };
  readonly persistence: { readonly enabled: boolean; readonly storageClass: string; readonly accessMode: string; readonly size: string };
  readonly securityContext: kplus.k8s.SecurityContext;
  readonly clusterDomain: string;
  readonly replication: { readonly podAntiAffinity: 'soft' | 'hard' };
  readonly sentinel: { readonly quorum: number; readonly downAfterMilliseconds: number; readonly failoverTimeout: number; readonly resources: ResourceValues };
  readonly networkPolicy: {
    readonly enabled: boolean;
    readonly allowedClients: Readonly<Record<string, { readonly enabled: boolean; readonly podLabels: Readonly<Record<string, string>> }>>;
  };
  readonly resources: ResourceValues;
  readonly livenessProbe: ProbeValues;
  readonly readinessProbe: ProbeValues;
  readonly startupProbe: ProbeValues;
  readonly terminationGracePeriodSeconds: number;
}

/** The keys of the umbrella's `test:` block (the helm test Pod) the cdk8s app follows. */
export interface TestValues {
  readonly image: ImageValues;
  readonly command: readonly string[];
  readonly activeDeadlineSeconds: number;
  readonly resources: ResourceValues;
}

const read = (path: string): unknown => parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

/** charts/api/values.yaml. */
export const API = read('charts/api/values.yaml') as ApiValues;
/** charts/redis/values.yaml. */
export const REDIS = read('charts/redis/values.yaml') as RedisValues;
/** The umbrella values.yaml's `test:` block. */
export const TEST = (read('values.yaml') as { test: TestValues }).test;

/** `<repository>:<tag>`: the tag of the values (Redis pins one) or, for the API and test images, the app version. */
export const imageRef = (image: ImageValues, tag = image.tag): string => `${image.repository}:${tag}`;

const quantity = (value: string, what: string): { amount: number; unit: string } => {
  const match = /^(\d+)(m|Mi|Gi)?$/.exec(value);
  if (!match) throw new Error(`chart-defaults: ${what} ${value} is not a whole number of m, Mi or Gi`);
  return { amount: Number(match[1]), unit: match[2] ?? '' };
};
const cpu = (value: string): kplus.Cpu => {
  const { amount, unit } = quantity(value, 'cpu');
  if (unit === 'm') return kplus.Cpu.millis(amount);
  if (unit === '') return kplus.Cpu.units(amount);
  throw new Error(`chart-defaults: cpu ${value} is not in cores or millicores`);
};
const memory = (value: string): Size => {
  const { amount, unit } = quantity(value, 'memory');
  if (unit === 'Mi') return Size.mebibytes(amount);
  if (unit === 'Gi') return Size.gibibytes(amount);
  throw new Error(`chart-defaults: memory ${value} is not in Mi or Gi`);
};

/** A values `resources` block as cdk8s-plus container resources (the L2 constructs). */
export function containerResources(resources: ResourceValues): kplus.ContainerResources {
  return {
    cpu: { request: cpu(resources.requests.cpu) },
    memory: { request: memory(resources.requests.memory), limit: memory(resources.limits.memory) },
  };
}

/** A values `resources` block as the typed L1 ResourceRequirements. */
export function resourceRequirements(resources: ResourceValues): kplus.k8s.ResourceRequirements {
  return {
    limits: { memory: k8s.Quantity.fromString(resources.limits.memory) },
    requests: { cpu: k8s.Quantity.fromString(resources.requests.cpu), memory: k8s.Quantity.fromString(resources.requests.memory) },
  };
}
