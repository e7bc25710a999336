import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseManifests, type K8sObject } from '../../hack/lib/helm.js';
import { K8sSchemaValidator, formatSchemaIssues } from '../helpers/k8s-schema.js';
import {
  checkNames,
  checkNetworkPolicies,
  checkPortReferences,
  checkRestrictedPodSecurity,
  checkSelectors,
  checkUrlTargetsService,
  envValue,
  networkPolicyAdmits,
  podTemplates,
} from '../helpers/k8s-structure.js';
import { K8S_SCHEMA_VERSIONS } from '../../hack/tools/k8s-versions.js';
import { objectKey } from './parity.js';
import { GOLDEN_DIR, K8S_DIR, listFiles, synthMain, synthObjects } from './synth.js';

/** The files `npm run synth` writes: the deployment, and the e2e Job apart so applying the first runs no test. */
const EXPECTED_FILES = ['reas.k8s.yaml', 'test/reas-test.k8s.yaml'];

describe('cdk8s synth (k8s/main.ts)', function () {
  this.timeout(120_000);
  let outdir: string;
  let files: Map<string, string>;
  let objects: K8sObject[];

  before(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'reas-synth-'));
    files = await synthMain(outdir);
    objects = [...files.values()].flatMap(parseManifests);
  });
  after(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('writes the deployment and the test Job to separate files and nothing else', () => {
    expect([...files.keys()]).to.deep.equal(EXPECTED_FILES);
  });

  it('keeps the test Job out of the deployment file', () => {
    const deployment = parseManifests(files.get('reas.k8s.yaml') ?? '').map(objectKey);
    expect(deployment).to.not.include('Pod/reas-test');
    expect(parseManifests(files.get('test/reas-test.k8s.yaml') ?? '').map(objectKey)).to.deep.equal(['Pod/reas-test']);
  });

  it('matches the committed synth output in k8s/dist (`npm run synth` rewrites it)', () => {
    expect(listFiles(GOLDEN_DIR)).to.deep.equal(EXPECTED_FILES);
    for (const [file, text] of files) {
      expect(text, `${file} differs from k8s/dist/${file}: review the change, then run 'npm run synth' and commit k8s/dist`).to.equal(
        readFileSync(join(GOLDEN_DIR, file), 'utf8'),
      );
    }
  });

  for (const version of K8S_SCHEMA_VERSIONS) {
    it(`validates every object strictly against the Kubernetes ${version} OpenAPI schemas`, () => {
      const issues = K8sSchemaValidator.forVersion(version).validateAll(objects);
      expect(issues, formatSchemaIssues(issues)).to.deep.equal([]);
    });
  }

  it('selects a synthesized pod template with every Service and workload selector', () => {
    expect(checkSelectors(objects)).to.deep.equal([]);
  });

  it('names a declared container port in every probe, Service and NetworkPolicy port', () => {
    expect(checkPortReferences(objects, { requireNamedPorts: true })).to.deep.equal([]);
  });

  it('keeps every name and label value within Kubernetes limits, without duplicates', () => {
    expect(checkNames(objects)).to.deep.equal([]);
  });

  it('meets the restricted Pod Security Standard, a read-only root and no token in every pod', () => {
    expect(checkRestrictedPodSecurity(objects)).to.deep.equal([]);
    expect(podTemplates(objects).map((t) => t.owner).sort()).to.deep.equal(['Deployment/reas-api', 'Pod/reas-test', 'StatefulSet/reas-redis']);
  });

  it("points the API's REDIS_URL at the Redis Service", () => {
    const url = envValue(objects, 'Deployment/reas-api', 'api', 'REDIS_URL');
    expect(url).to.equal('redis://reas-redis:6379');
    expect(checkUrlTargetsService(objects, url as string, 'reas')).to.deep.equal([]);
  });

  it('lets only the API and the test Job reach Redis on 6379', () => {
    expect(checkNetworkPolicies(objects)).to.deep.equal([]);
    const redis = podTemplates(objects).find((t) => t.owner === 'StatefulSet/reas-redis');
    if (!redis) throw new Error('no Redis pod template');
    const identity = (owner: string) => {
      const t = podTemplates(objects).find((p) => p.owner === owner);
      if (!t) throw new Error(`no pod template ${owner}`);
      return { namespace: t.namespace, labels: t.labels };
    };
    expect(networkPolicyAdmits(objects, identity('Deployment/reas-api'), redis, 6379)).to.equal(true);
    expect(networkPolicyAdmits(objects, identity('Pod/reas-test'), redis, 6379)).to.equal(true);
    expect(networkPolicyAdmits(objects, { namespace: 'reas', labels: { 'app.kubernetes.io/name': 'intruder' } }, redis, 6379)).to.equal(false);
  });

  it('uses images present in kind or minikube without pulling (imagePullPolicy IfNotPresent)', () => {
    const policies = podTemplates(objects).flatMap((t) => t.spec.containers.map((c) => `${t.owner} ${c.name} ${String((c as { imagePullPolicy?: string }).imagePullPolicy)}`));
    expect(policies.filter((p) => !p.endsWith(' IfNotPresent'))).to.deep.equal([]);
  });

  it('writes no Secret: the Redis password Secret is created by the user', () => {
    expect(objects.filter((o) => o.kind === 'Secret').map(objectKey)).to.deep.equal([]);
  });
});

describe('cdk8s synth (cdk8s-cli with k8s/cdk8s.yaml)', function () {
  this.timeout(120_000);
  let outdir: string;
  before(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'reas-cdk8s-cli-'));
  });
  after(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('writes the same files as npm run synth', async () => {
    // The package exports no bin path; the CLI sits beside its package.json.
    const cli = join(dirname(createRequire(import.meta.url).resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s');
    // --no-check-upgrade: the CLI would otherwise ask the package registry for a newer version of itself.
    await promisify(execFile)(process.execPath, [cli, 'synth', '--no-check-upgrade', '--output', outdir], { cwd: K8S_DIR });
    expect(listFiles(outdir)).to.deep.equal(EXPECTED_FILES);
    for (const file of EXPECTED_FILES) {
      expect(readFileSync(join(outdir, file), 'utf8'), file).to.equal(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
    }
  });
});

describe('ReasChart props', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest is untyped JSON; the assertions check it
  const find = (objects: K8sObject[], key: string): any => objects.find((o) => objectKey(o) === key);

  it('keeps /data on an emptyDir and writes no claim template when persistence is off', () => {
    const sts = find(synthObjects({ redisPersistence: { enabled: false } }), 'StatefulSet/reas-redis');
    expect(sts?.spec.volumeClaimTemplates).to.equal(undefined);
    expect(sts?.spec.template.spec.volumes).to.deep.include({ name: 'data', emptyDir: {} });
  });

  it('writes the storage class and size of the claim', () => {
    const sts = find(synthObjects({ redisPersistence: { storageClass: 'standard', size: '2Gi' } }), 'StatefulSet/reas-redis');
    expect(sts?.spec.volumeClaimTemplates[0].spec).to.deep.include({ storageClassName: 'standard', resources: { requests: { storage: '2Gi' } } });
  });

  it('deploys no Redis and points the API at an external one', () => {
    const objects = synthObjects({ externalRedis: { url: 'rediss://cache:6380', passwordSecret: { name: 'ext', key: 'pw' } } });
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'redis').map(objectKey)).to.deep.equal([]);
    expect(envValue(objects, 'Deployment/reas-api', 'api', 'REDIS_URL')).to.equal('rediss://cache:6380');
    const volumes = find(objects, 'Deployment/reas-api')?.spec.template.spec.volumes as { name: string; secret?: unknown }[];
    expect(volumes.find((v) => v.name === 'redis-password')?.secret).to.deep.include({ secretName: 'ext', items: [{ key: 'pw', path: 'redis-password' }] });
  });

  it('adds an HPA and leaves the replica count to it when autoscaling is on', () => {
    const objects = synthObjects({ apiAutoscaling: { maxReplicas: 4 } });
    expect(find(objects, 'HorizontalPodAutoscaler/reas-api')?.spec).to.deep.include({ minReplicas: 2, maxReplicas: 4 });
    expect(find(objects, 'Deployment/reas-api')?.spec.replicas).to.equal(undefined);
  });

  it('passes the strict schema and structure checks with every option switched', () => {
    const variants = [
      synthObjects({ redisPersistence: { enabled: false } }),
      synthObjects({ externalRedis: { url: 'rediss://cache:6380', passwordSecret: { name: 'ext', key: 'pw' } } }),
      synthObjects({ apiAutoscaling: {}, apiReplicas: 3, release: 'shop', namespace: 'shop-dev' }),
    ];
    for (const objects of variants) {
      for (const version of K8S_SCHEMA_VERSIONS) {
        const issues = K8sSchemaValidator.forVersion(version).validateAll(objects);
        expect(issues, formatSchemaIssues(issues)).to.deep.equal([]);
      }
      expect([...checkSelectors(objects), ...checkPortReferences(objects, { requireNamedPorts: true }), ...checkNames(objects), ...checkRestrictedPodSecurity(objects)]).to.deep.equal([]);
    }
  });

  it('names every object after the release and writes its namespace', () => {
    const objects = synthObjects({ release: 'shop', namespace: 'shop-dev' });
    expect(objects.map((o) => o.metadata.name).filter((n) => !n.startsWith('shop-'))).to.deep.equal([]);
    expect(objects.map((o) => o.metadata.namespace).filter((n) => n !== 'shop-dev')).to.deep.equal([]);
  });
});
