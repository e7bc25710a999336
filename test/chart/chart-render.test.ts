import { expect } from 'chai';
import type { K8sObject } from '../../hack/lib/helm.js';
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
  type PodTemplate,
} from '../helpers/k8s-structure.js';
import { K8S_SCHEMA_VERSIONS } from '../../hack/tools/k8s-versions.js';
import { CHART_CASES, CRD_SKIPS, findObject, renderCase } from './chart-cases.js';

function template(objects: readonly K8sObject[], owner: string): PodTemplate {
  const found = podTemplates(objects).find((candidate) => candidate.owner === owner);
  if (found === undefined) throw new Error(`no pod template of ${owner}`);
  return found;
}

describe('helm chart: rendered values matrix (ci/*-values.yaml)', function () {
  this.timeout(60_000);

  for (const chartCase of CHART_CASES) {
    const apiName = chartCase.apiName ?? `${chartCase.release}-api`;
    const api = `Deployment/${apiName}`;
    const test = `Pod/${chartCase.release}-test`;

    describe(`${chartCase.file} as release ${chartCase.release}`, () => {
      let objects: K8sObject[];
      before(async () => {
        objects = await renderCase(chartCase);
      });

      for (const version of K8S_SCHEMA_VERSIONS) {
        it(`validates every object strictly against the Kubernetes ${version} OpenAPI schemas (rendered for ${version})`, async () => {
          const rendered = await renderCase(chartCase, version);
          const issues = K8sSchemaValidator.forVersion(version).validateAll(rendered, CRD_SKIPS);
          expect(issues, formatSchemaIssues(issues)).to.deep.equal([]);
        });
      }

      it('selects a rendered pod template with every Service and workload selector', () => {
        expect(checkSelectors(objects)).to.deep.equal([]);
      });

      it('names a declared container port in every probe, Service, Ingress, ServiceMonitor and NetworkPolicy port', () => {
        expect(checkPortReferences(objects, { requireNamedPorts: true })).to.deep.equal([]);
      });

      it('keeps every name and label value within Kubernetes limits, without duplicates', () => {
        expect(checkNames(objects)).to.deep.equal([]);
      });

      it('meets the restricted Pod Security Standard, a read-only root and no token in every pod', () => {
        expect(checkRestrictedPodSecurity(objects)).to.deep.equal([]);
        expect(podTemplates(objects).map((candidate) => candidate.owner)).to.include.members([api, test]);
      });

      it(`points the API's REDIS_URL at ${chartCase.externalRedisUrl === undefined ? 'the bundled Redis Service' : 'the external URL'}`, () => {
        const url = envValue(objects, api, 'api', 'REDIS_URL');
        expect(url).to.be.a('string');
        if (chartCase.externalRedisUrl === undefined) {
          expect(checkUrlTargetsService(objects, url as string)).to.deep.equal([]);
          const service = new URL(url as string).hostname;
          expect(findObject(objects, 'Service', service).metadata.labels?.['app.kubernetes.io/name']).to.equal('redis');
        } else {
          expect(url).to.equal(chartCase.externalRedisUrl);
          expect(objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/name'] === 'redis')).to.deep.equal([]);
        }
      });

      it('mounts the Redis password as the file REDIS_PASSWORD_FILE names, from the expected Secret', () => {
        const spec = template(objects, api).spec as unknown as {
          containers: { env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
          volumes: { name: string; secret?: { secretName: string; items: { key: string; path: string }[] } }[];
        };
        const container = spec.containers[0];
        const file = container?.env.find((env) => env.name === 'REDIS_PASSWORD_FILE')?.value;
        expect(file).to.equal('/var/run/secrets/reas/redis-password');
        const mount = container?.volumeMounts.find((candidate) => candidate.mountPath === '/var/run/secrets/reas');
        const volume = spec.volumes.find((candidate) => candidate.name === mount?.name);
        expect(volume?.secret?.secretName).to.equal(chartCase.redisSecret?.name);
        expect(volume?.secret?.items).to.deep.equal([{ key: chartCase.redisSecret?.key, path: 'redis-password' }]);
        if (chartCase.existingSecret === true) {
          expect(objects.filter((object) => object.kind === 'Secret')).to.deep.equal([]);
        } else if (chartCase.bundledRedis) {
          const secret = findObject(objects, 'Secret', chartCase.redisSecret?.name ?? '') as K8sObject & { data: Record<string, string> };
          expect(Buffer.from(secret.data['redis-password'] ?? '', 'base64').toString()).to.match(/^[A-Za-z0-9._~+/=-]{16,}$/);
        }
      });

      it('runs the helm test Pod against the API Service within its deadline, safe on a live release', () => {
        const pod = findObject(objects, 'Pod', `${chartCase.release}-test`) as K8sObject & { spec: { activeDeadlineSeconds: number; restartPolicy: string } };
        expect(pod.metadata.annotations?.['helm.sh/hook']).to.equal('test');
        expect(pod.spec.activeDeadlineSeconds).to.equal(300);
        expect(pod.spec.restartPolicy).to.equal('Never');
        const env = template(objects, test).spec.containers[0]?.env ?? [];
        const baseUrl = env.find((candidate) => candidate.name === 'BASE_URL')?.value ?? '';
        expect(checkUrlTargetsService(objects, baseUrl)).to.deep.equal([]);
        expect(new URL(baseUrl).hostname).to.equal(apiName);
        expect(env.map((candidate) => candidate.name)).not.to.include('E2E_EXCLUSIVE');
      });

      if (chartCase.bundledRedis) {
        const redis = `StatefulSet/${chartCase.file.includes('long') ? 'reas-release-name-that-is-exactly-fifty-three-redis' : `${chartCase.release}-redis`}`;

        it('lets only the API and the test Job reach Redis on 6379', () => {
          expect(checkNetworkPolicies(objects)).to.deep.equal([]);
          const target = template(objects, redis);
          const apiPod = template(objects, api);
          const testPod = template(objects, test);
          expect(networkPolicyAdmits(objects, apiPod, target, 6379), 'API pods').to.equal(true);
          expect(networkPolicyAdmits(objects, testPod, target, 6379), 'test Job pods').to.equal(true);
          expect(networkPolicyAdmits(objects, { namespace: 'default', labels: { app: 'anything-else' } }, target, 6379), 'other pods').to.equal(false);
          const otherRelease = { namespace: 'default', labels: { ...apiPod.labels, 'app.kubernetes.io/instance': 'another-release' } };
          expect(networkPolicyAdmits(objects, otherRelease, target, 6379), "another release's API").to.equal(false);
        });

        it('keeps /data on a PVC when persistence is on and on an emptyDir when it is off', () => {
          const sts = findObject(objects, 'StatefulSet', redis.split('/')[1] ?? '') as K8sObject & {
            spec: { volumeClaimTemplates?: { metadata: { name: string } }[]; template: { spec: { volumes: { name: string; emptyDir?: object }[] } } };
          };
          const persistent = !chartCase.file.includes('persistence-off');
          expect((sts.spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name)).to.deep.equal(persistent ? ['data'] : []);
          const dataVolume = sts.spec.template.spec.volumes.find((volume) => volume.name === 'data');
          expect(dataVolume === undefined).to.equal(persistent);
          if (!persistent) expect(dataVolume?.emptyDir).to.deep.equal({});
        });
      }
    });
  }
});
