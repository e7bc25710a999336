import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helmTemplate, templateArgs, type K8sObject, type TemplateOptions } from '../../hack/lib/helm.js';
import type { SchemaSkip } from '../helpers/k8s-schema.js';
import { NEWEST_K8S_SCHEMA_VERSION, OLDEST_K8S_SCHEMA_VERSION } from '../../hack/tools/k8s-versions.js';

/** The chart is the repository root. */
export const CHART_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** helm's own limit on release names, so every name the chart derives from it must still fit. */
export const LONG_RELEASE = 'reas-release-name-that-is-exactly-fifty-three-chars-x';

export const EXTERNAL_REDIS_URL = 'rediss://reas-cache.abc123.use1.cache.amazonaws.com:6379';

export interface ChartCase {
  /** ci/ values file, relative to the chart. */
  file: string;
  release: string;
  /** Name of the API objects when api.fullnameOverride sets it; undefined = `<release>-api`. */
  apiName?: string;
  /** REDIS_URL the API must get: the external URL, or undefined for the bundled Redis' Service. */
  externalRedisUrl?: string;
  /** The Secret (name and key) the API must mount for the Redis password; undefined = none. */
  redisSecret?: { name: string; key: string };
  /** Whether the bundled Redis (StatefulSet, Services, NetworkPolicy) is rendered. */
  bundledRedis: boolean;
  /** The bundled Redis' password is in a Secret the user made (global.redis.auth.existingSecret): none rendered. */
  existingSecret?: boolean;
}

/** One entry per ci/*-values.yaml; test/chart/chart-lint.test.ts fails when a file has no entry here. */
export const CHART_CASES: readonly ChartCase[] = [
  { file: 'ci/default-values.yaml', release: 'reas', bundledRedis: true, redisSecret: { name: 'reas-redis', key: 'redis-password' } },
  {
    file: 'ci/external-redis-values.yaml',
    release: 'reas',
    bundledRedis: false,
    externalRedisUrl: EXTERNAL_REDIS_URL,
    redisSecret: { name: 'reas-external-redis', key: 'password' },
  },
  { file: 'ci/extension-points-values.yaml', release: 'reas', apiName: 'counter', bundledRedis: true, redisSecret: { name: 'reas-redis', key: 'redis-password' } },
  {
    file: 'ci/gitops-values.yaml',
    release: 'reas',
    bundledRedis: true,
    existingSecret: true,
    redisSecret: { name: 'reas-redis-auth', key: 'password' },
  },
  { file: 'ci/persistence-off-values.yaml', release: 'reas', bundledRedis: true, redisSecret: { name: 'reas-redis', key: 'redis-password' } },
  { file: 'ci/replication-values.yaml', release: 'reas', bundledRedis: true, redisSecret: { name: 'reas-redis', key: 'redis-password' } },
  { file: 'ci/opt-ins-values.yaml', release: 'reas', bundledRedis: true, redisSecret: { name: 'reas-redis', key: 'redis-password' } },
  {
    file: 'ci/long-release-name-values.yaml',
    release: LONG_RELEASE,
    bundledRedis: true,
    redisSecret: { name: 'reas-release-name-that-is-exactly-fifty-three-redis', key: 'redis-password' },
  },
];

export function ciValuesFiles(): string[] {
  return readdirSync(join(CHART_DIR, 'ci'))
    .filter((name) => name.endsWith('-values.yaml'))
    .map((name) => `ci/${name}`)
    .sort();
}

/**
 * Kinds without a built-in Kubernetes schema that the chart may render. Only CRD kinds belong here, each with why;
 * anything else missing from the Kubernetes schemas fails validation.
 */
export const CRD_SKIPS: readonly SchemaSkip[] = [
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    reason: 'Prometheus Operator CRD (api.serviceMonitor.enabled, opt-in); its schema ships with the operator, not Kubernetes',
  },
];

/**
 * Renders state the Kubernetes version (Capabilities.KubeVersion) instead of taking helm's built-in default, which
 * depends on the helm build (v3.14 says 1.29, below the chart's kubeVersion floor; v4.1 says 1.35).
 */
export const RENDER_KUBE_VERSION = NEWEST_K8S_SCHEMA_VERSION;
export const LINT_KUBE_VERSION = OLDEST_K8S_SCHEMA_VERSION;

type ChartTemplateOptions = Omit<TemplateOptions, 'chart'> & { chart?: string };

/** `helm template` of this chart at RENDER_KUBE_VERSION unless the options say otherwise. */
export function chartTemplate(options: ChartTemplateOptions): Promise<K8sObject[]> {
  return helmTemplate({ chart: CHART_DIR, kubeVersion: RENDER_KUBE_VERSION, ...options });
}

export function chartTemplateArgs(options: ChartTemplateOptions): string[] {
  return templateArgs({ chart: CHART_DIR, kubeVersion: RENDER_KUBE_VERSION, ...options });
}

const renders = new Map<string, Promise<K8sObject[]>>();

/** The render of one case at a Kubernetes version, done once per process. */
export function renderCase(chartCase: ChartCase, kubeVersion: string = RENDER_KUBE_VERSION): Promise<K8sObject[]> {
  const key = `${chartCase.file}@${kubeVersion}`;
  let render = renders.get(key);
  if (render === undefined) {
    render = chartTemplate({ release: chartCase.release, valuesFiles: [join(CHART_DIR, chartCase.file)], kubeVersion });
    renders.set(key, render);
  }
  return render;
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} in the render (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found;
}
