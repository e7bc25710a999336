import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifests, type K8sObject } from '../../hack/lib/helm.js';
import type { ReasChartProps } from '../../k8s/lib/reas-chart.js';
import {
  compareRenderings,
  formatDifferences,
  loadIntendedDifferences,
  normalise,
  objectKey,
  type IntendedDifference,
} from './parity.js';
import { renderChart, synthMain, synthObjects } from './synth.js';

const LONG_RELEASE = 'reas-release-name-that-is-exactly-fifty-three-chars-x';
const RULES_FILE = new URL('./intended-differences.yaml', import.meta.url).pathname;

/** Pairs of chart values (a ci/ file) and cdk8s props meant to produce the same deployment. */
const CASES: { name: string; release: string; namespace: string; values: string[]; set?: Record<string, string>; props: ReasChartProps }[] = [
  { name: 'persistence off', release: 'reas', namespace: 'reas', values: ['ci/persistence-off-values.yaml'], props: { redisPersistence: { enabled: false } } },
  {
    name: 'external Redis',
    release: 'reas',
    namespace: 'reas',
    values: ['ci/external-redis-values.yaml'],
    props: {
      externalRedis: {
        url: 'rediss://reas-cache.abc123.use1.cache.amazonaws.com:6379',
        passwordSecret: { name: 'reas-external-redis', key: 'password' },
      },
    },
  },
  {
    name: 'external Redis without a password',
    release: 'reas',
    namespace: 'reas',
    values: [],
    set: { 'redis.enabled': 'false', 'global.externalRedis.url': 'redis://cache.example:6379' },
    props: { externalRedis: { url: 'redis://cache.example:6379' } },
  },
  {
    name: "a Redis password Secret of the user's (GitOps) and the Redis Service on 6380",
    release: 'reas',
    namespace: 'reas',
    values: [],
    set: { 'global.redis.auth.existingSecret': 'reas-redis-auth', 'global.redis.auth.existingSecretPasswordKey': 'password', 'global.redis.service.port': '6380' },
    props: { redisPasswordSecret: { name: 'reas-redis-auth', key: 'password' }, redisServicePort: 6380 },
  },
  {
    name: 'a request body limit and a priority class',
    release: 'reas',
    namespace: 'reas',
    values: [],
    set: { 'api.config.maxBodyBytes': '4096', 'api.priorityClassName': 'reas-api' },
    props: { apiMaxBodyBytes: 4096, apiPriorityClassName: 'reas-api' },
  },
  // helm's own limit on release names: every derived name must be truncated alike.
  { name: 'a 53-character release name', release: LONG_RELEASE, namespace: 'reas', values: [], props: { release: LONG_RELEASE } },
  { name: 'autoscaling on', release: 'reas', namespace: 'reas', values: [], set: { 'api.autoscaling.enabled': 'true' }, props: { apiAutoscaling: {} } },
  { name: 'replication', release: 'reas', namespace: 'reas', values: ['ci/replication-values.yaml'], props: { redisArchitecture: 'replication' } },
  {
    name: 'replication with other Sentinel settings, persistence off, another release and namespace',
    release: 'shop',
    namespace: 'shop-dev',
    values: ['ci/replication-values.yaml', 'ci/persistence-off-values.yaml'],
    set: { 'redis.sentinel.quorum': '3', 'redis.sentinel.downAfterMilliseconds': '2000', 'redis.sentinel.failoverTimeout': '20000' },
    props: {
      release: 'shop',
      namespace: 'shop-dev',
      redisArchitecture: 'replication',
      redisPersistence: { enabled: false },
      redisSentinel: { quorum: 3, downAfterMilliseconds: 2000, failoverTimeout: 20000 },
    },
  },
  { name: 'another release and namespace', release: 'shop', namespace: 'shop-dev', values: [], props: { release: 'shop', namespace: 'shop-dev' } },
];

function compare(helm: K8sObject[], cdk8s: K8sObject[], rules: IntendedDifference[], used = new Set<string>()) {
  return compareRenderings(normalise(helm, 'helm', rules, used), normalise(cdk8s, 'cdk8s', rules, used));
}

describe('Helm/cdk8s parity', function () {
  this.timeout(120_000);
  let rules: IntendedDifference[];
  let outdir: string;
  let helm: K8sObject[];
  let cdk8s: K8sObject[];

  before(async () => {
    rules = loadIntendedDifferences(RULES_FILE);
    outdir = await mkdtemp(join(tmpdir(), 'reas-synth-'));
    const [rendered, files] = await Promise.all([renderChart('reas', 'reas'), synthMain(outdir)]);
    helm = rendered;
    cdk8s = [...files.values()].flatMap(parseManifests);
  });
  after(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  describe('default values against `npm run synth`', () => {
    it('renders the same objects with equal fields once the intended differences are applied', () => {
      const diffs = compare(helm, cdk8s, rules);
      expect(diffs, `Helm and cdk8s differ (fix one side, or list the difference with its reason in test/k8s/intended-differences.yaml):\n${formatDifferences(diffs)}`).to.deep.equal([]);
    });

    it('uses every intended difference, so none is stale', () => {
      const used = new Set<string>();
      compare(helm, cdk8s, rules, used);
      expect(rules.map((r) => r.id).filter((id) => !used.has(id))).to.deep.equal([]);
    });

    it('writes the release namespace into every synthesized object', () => {
      expect(cdk8s.filter((o) => o.metadata.namespace !== 'reas').map(objectKey)).to.deep.equal([]);
    });

    it('compares the workloads, Services, NetworkPolicy, PDB and test Job the chart renders', () => {
      expect(helm.map(objectKey).sort()).to.include.members([
        'ConfigMap/reas-redis', 'Deployment/reas-api', 'Pod/reas-test', 'NetworkPolicy/reas-redis', 'PodDisruptionBudget/reas-api',
        'Service/reas-api', 'Service/reas-redis', 'Service/reas-redis-headless', 'ServiceAccount/reas-api', 'ServiceAccount/reas-redis', 'StatefulSet/reas-redis',
      ]);
    });
  });

  for (const c of CASES) {
    describe(`${c.name}: helm template ${[...c.values, ...Object.entries(c.set ?? {}).map(([k, v]) => `--set ${k}=${v}`)].join(' ') || '(defaults)'} against ReasChart props`, () => {
      it('renders the same objects with equal fields once the intended differences are applied', async () => {
        const diffs = compare(await renderChart(c.release, c.namespace, c.values, c.set), synthObjects(c.props), rules);
        expect(diffs, formatDifferences(diffs)).to.deep.equal([]);
      });
    });
  }

  describe('the comparison itself', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest is untyped JSON; the comparison checks it
    const find = (objects: K8sObject[], key: string): any => objects.find((o) => objectKey(o) === key);

    it('reports a changed container image with its path and both values', () => {
      const changed = structuredClone(cdk8s);
      find(changed, 'Deployment/reas-api').spec.template.spec.containers[0].image = 'reas:9.9.9';
      const diffs = compare(helm, changed, rules);
      expect(diffs).to.deep.equal([
        { object: 'Deployment/reas-api', path: '/spec/template/spec/containers/0/image', helm: 'reas:0.1.0', cdk8s: 'reas:9.9.9' },
      ]);
      expect(formatDifferences(diffs)).to.include('Deployment/reas-api /spec/template/spec/containers/0/image');
    });

    it('reports a changed probe period and a missing env variable', () => {
      const changed = structuredClone(cdk8s);
      const container = find(changed, 'Deployment/reas-api').spec.template.spec.containers[0];
      container.readinessProbe.periodSeconds = 7;
      container.env = container.env.filter((e: { name: string }) => e.name !== 'LOG_LEVEL');
      const paths = compare(helm, changed, rules).map((d) => d.path);
      expect(paths).to.include('/spec/template/spec/containers/0/readinessProbe/periodSeconds');
      expect(paths.some((p) => p.startsWith('/spec/template/spec/containers/0/env/'))).to.equal(true);
    });

    it('reports an object that only one side renders', () => {
      const fewer = cdk8s.filter((o) => objectKey(o) !== 'PodDisruptionBudget/reas-api');
      expect(compare(helm, fewer, rules)).to.deep.equal([{ object: 'PodDisruptionBudget/reas-api', path: '/', helm: 'present', cdk8s: undefined }]);
    });

    it('lets a default-valued rule hide only the default: a non-default dnsPolicy is reported', () => {
      const changed = structuredClone(cdk8s);
      find(changed, 'StatefulSet/reas-redis').spec.template.spec.dnsPolicy = 'Default';
      expect(compare(helm, changed, rules).map((d) => d.path)).to.deep.equal(['/spec/template/spec/dnsPolicy']);
    });

    it('keeps a checksum annotation required on both sides: dropping it is reported', () => {
      const changed = structuredClone(cdk8s);
      delete find(changed, 'StatefulSet/reas-redis').spec.template.metadata.annotations['checksum/config'];
      expect(compare(helm, changed, rules).map((d) => d.path)).to.deep.equal(['/spec/template/metadata/annotations']);
    });

    it('ignores the order of volumes, which Kubernetes merges by name', () => {
      const changed = structuredClone(cdk8s);
      find(changed, 'Deployment/reas-api').spec.template.spec.volumes.reverse();
      expect(compare(helm, changed, rules)).to.deep.equal([]);
    });

    it('requires a reason for every intended difference', () => {
      expect(rules.length).to.be.greaterThan(5);
      for (const rule of rules) expect(rule.reason, rule.id).to.be.a('string').with.length.greaterThan(20);
    });
  });
});
