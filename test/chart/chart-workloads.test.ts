import { expect } from 'chai';
import type { K8sObject } from '../../hack/lib/helm.js';
import { checkUrlTargetsService, networkPolicyAdmits, podTemplates, selectorMatches, type LabelSelector } from '../helpers/k8s-structure.js';
import { CHART_CASES, chartTemplate, findObject, renderCase } from './chart-cases.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byFile = (file: string) => {
  const found = CHART_CASES.find((chartCase) => chartCase.file === file);
  if (found === undefined) throw new Error(file);
  return found;
};

describe('helm chart: workloads', function () {
  this.timeout(60_000);
  let defaults: K8sObject[];
  let optIns: K8sObject[];
  before(async () => {
    defaults = await renderCase(byFile('ci/default-values.yaml'));
    optIns = await renderCase(byFile('ci/opt-ins-values.yaml'));
  });

  describe('Deployment reas-api', () => {
    it('runs 2 replicas of reas:0.1.0 and replaces pods without ever going below them', () => {
      const deployment = findObject(defaults, 'Deployment', 'reas-api') as Any;
      expect(deployment.spec.replicas).to.equal(2);
      expect(deployment.spec.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      expect(deployment.spec.template.spec.containers[0].image).to.equal('reas:0.1.0');
    });

    it('probes /ok for startup and liveness and /readyz for readiness on port http (5000)', () => {
      const container = (findObject(defaults, 'Deployment', 'reas-api') as Any).spec.template.spec.containers[0];
      expect(container.ports).to.deep.equal([{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
      expect(container.startupProbe.httpGet).to.deep.equal({ path: '/ok', port: 'http' });
      expect(container.livenessProbe.httpGet).to.deep.equal({ path: '/ok', port: 'http' });
      expect(container.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
      expect(container.env.find((env: Any) => env.name === 'PORT').value).to.equal('5000');
    });

    it('pauses in preStop with the sleep action and allows the full drain within the grace period', () => {
      const spec = (findObject(defaults, 'Deployment', 'reas-api') as Any).spec.template.spec;
      const container = spec.containers[0];
      expect(container.lifecycle.preStop).to.deep.equal({ sleep: { seconds: 5 } });
      const shutdownMs = Number(container.env.find((env: Any) => env.name === 'SHUTDOWN_TIMEOUT_MS').value);
      expect(spec.terminationGracePeriodSeconds).to.be.greaterThan(5 + shutdownMs / 1000);
      expect(container.resources.requests).to.have.keys('cpu', 'memory');
      expect(container.resources.limits).to.have.key('memory');
    });

    it('leaves out the preStop hook when preStopSleepSeconds is 0 (a zero sleep is invalid before Kubernetes 1.33)', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'api.preStopSleepSeconds': 0 } });
      expect((findObject(objects, 'Deployment', 'reas-api') as Any).spec.template.spec.containers[0]).not.to.have.property('lifecycle');
    });

    it('spreads pods over nodes and zones by their own labels', () => {
      const template = podTemplates(defaults).find((candidate) => candidate.owner === 'Deployment/reas-api');
      const constraints = (template?.spec as Any).topologySpreadConstraints as Any[];
      expect(constraints.map((constraint) => constraint.topologyKey)).to.deep.equal(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const constraint of constraints) expect(selectorMatches(constraint.labelSelector as LabelSelector, template?.labels ?? {})).to.equal(true);
    });

    it('has a PodDisruptionBudget over its pods', () => {
      const pdb = findObject(defaults, 'PodDisruptionBudget', 'reas-api') as Any;
      const template = podTemplates(defaults).find((candidate) => candidate.owner === 'Deployment/reas-api');
      expect(selectorMatches(pdb.spec.selector, template?.labels ?? {})).to.equal(true);
      expect(pdb.spec.maxUnavailable).to.equal(1);
    });

    it('points the test Job at the Service port when it is moved off 5000', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'api.service.port': 8080 } });
      const job = (findObject(objects, 'Pod', 'reas-test') as Any).spec.containers[0];
      const baseUrl = job.env.find((env: Any) => env.name === 'BASE_URL').value as string;
      expect(baseUrl).to.equal('http://reas-api:8080');
      expect(checkUrlTargetsService(objects, baseUrl)).to.deep.equal([]);
    });

    it('runs an image pinned by digest and labels it with the tag part (skaffold sets tag@digest)', async () => {
      const digest = `sha256:${'ab'.repeat(32)}`;
      const objects = await chartTemplate({
        release: 'reas',
        set: { 'api.image.repository': 'localhost:5001/reas', 'api.image.tag': `0.2.0@${digest}`, 'test.image.tag': `0.2.0@${digest}` },
      });
      const deployment = findObject(objects, 'Deployment', 'reas-api') as Any;
      expect(deployment.spec.template.spec.containers[0].image).to.equal(`localhost:5001/reas:0.2.0@${digest}`);
      expect(deployment.metadata.labels['app.kubernetes.io/version']).to.equal('0.2.0');
      expect(deployment.spec.template.metadata.labels['app.kubernetes.io/version']).to.equal('0.2.0');
      const job = findObject(objects, 'Pod', 'reas-test') as Any;
      expect(job.spec.containers[0].image).to.equal(`reas-test:0.2.0@${digest}`);
      expect(job.metadata.labels['app.kubernetes.io/version']).to.equal('0.2.0');
    });

    it('mounts no password when the external Redis needs none', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'redis.enabled': false }, set: { 'global.externalRedis.url': 'redis://cache.internal:6379' } });
      const spec = (findObject(objects, 'Deployment', 'reas-api') as Any).spec.template.spec;
      expect(spec.containers[0].env.map((env: Any) => env.name)).not.to.include('REDIS_PASSWORD_FILE');
      expect(spec.volumes.map((volume: Any) => volume.name)).to.deep.equal(['tmp']);
    });
  });

  describe('opt-ins', () => {
    it('renders no HPA, Ingress or ServiceMonitor by default', () => {
      expect(defaults.filter((object) => ['HorizontalPodAutoscaler', 'Ingress', 'ServiceMonitor'].includes(object.kind))).to.deep.equal([]);
    });

    it('scales the Deployment with an autoscaling/v2 HPA and leaves its replica count to it', () => {
      const hpa = findObject(optIns, 'HorizontalPodAutoscaler', 'reas-api') as Any;
      expect(hpa.apiVersion).to.equal('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'reas-api' });
      expect((findObject(optIns, 'Deployment', 'reas-api') as Any).spec).not.to.have.property('replicas');
    });

    it('routes the Ingress host to the API Service port http, with TLS', () => {
      const ingress = findObject(optIns, 'Ingress', 'reas-api') as Any;
      expect(ingress.spec.ingressClassName).to.equal('nginx');
      expect(ingress.spec.tls).to.deep.equal([{ hosts: ['reas.example.test'], secretName: 'reas-api-tls' }]);
      expect(ingress.spec.rules[0].http.paths[0].backend).to.deep.equal({ service: { name: 'reas-api', port: { name: 'http' } } });
    });

    it('scrapes /metrics on port http with a ServiceMonitor carrying the Prometheus selector label', () => {
      const monitor = findObject(optIns, 'ServiceMonitor', 'reas-api') as Any;
      expect(monitor.metadata.labels.release).to.equal('prometheus');
      expect(monitor.spec.endpoints).to.deep.equal([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    });
  });

  describe('NetworkPolicy reas-redis', () => {
    const admits = (objects: K8sObject[], owner: string) => {
      const templates = podTemplates(objects);
      const redis = templates.find((candidate) => candidate.owner === 'StatefulSet/reas-redis');
      const client = templates.find((candidate) => candidate.owner === owner);
      if (redis === undefined || client === undefined) throw new Error(owner);
      return networkPolicyAdmits(objects, client, redis, 6379);
    };

    it('drops a client that is disabled and keeps the others', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'redis.networkPolicy.allowedClients.test.enabled': false } });
      expect(admits(objects, 'Deployment/reas-api')).to.equal(true);
      expect(admits(objects, 'Pod/reas-test')).to.equal(false);
    });

    it('admits an extra client added under a new name', async () => {
      const objects = await chartTemplate({ release: 'reas', set: { 'redis.networkPolicy.allowedClients.worker.podLabels.app\\.kubernetes\\.io/name': 'worker' } });
      const templates = podTemplates(objects);
      const redis = templates.find((candidate) => candidate.owner === 'StatefulSet/reas-redis');
      if (redis === undefined) throw new Error('no redis');
      const worker = { namespace: 'default', labels: { 'app.kubernetes.io/name': 'worker', 'app.kubernetes.io/instance': 'reas' } };
      expect(networkPolicyAdmits(objects, worker, redis, 6379)).to.equal(true);
      expect(admits(objects, 'Deployment/reas-api')).to.equal(true);
    });

    it('denies every client when none is enabled, rather than rendering an open `from`', async () => {
      const objects = await chartTemplate({
        release: 'reas',
        setValues: { 'redis.networkPolicy.allowedClients.test.enabled': false, 'redis.networkPolicy.allowedClients.api.enabled': false },
      });
      expect((findObject(objects, 'NetworkPolicy', 'reas-redis') as Any).spec.ingress).to.deep.equal([]);
      expect(admits(objects, 'Deployment/reas-api')).to.equal(false);
    });
  });

  describe('NetworkPolicy reas-api', () => {
    const apiPod = (objects: K8sObject[]) => {
      const found = podTemplates(objects).find((candidate) => candidate.owner === 'Deployment/reas-api');
      if (found === undefined) throw new Error('no API pod template');
      return found;
    };
    const stranger = { namespace: 'default', labels: { app: 'stranger' } };
    const testPod = { namespace: 'default', labels: { 'app.kubernetes.io/name': 'reas', 'app.kubernetes.io/component': 'test', 'app.kubernetes.io/instance': 'reas' } };

    it('admits every client on port http by default, and nothing on another port', () => {
      expect(networkPolicyAdmits(defaults, stranger, apiPod(defaults), 5000)).to.equal(true);
      expect(networkPolicyAdmits(defaults, stranger, apiPod(defaults), 9229)).to.equal(false);
    });

    it('narrowed by ingressFrom, admits those peers and the release\'s test Pod only', async () => {
      const objects = await chartTemplate({ release: 'reas', extraArgs: ['--set-json', 'api.networkPolicy.ingressFrom=[{"podSelector":{"matchLabels":{"role":"frontend"}}}]'] });
      expect(networkPolicyAdmits(objects, stranger, apiPod(objects), 5000)).to.equal(false);
      expect(networkPolicyAdmits(objects, { namespace: 'default', labels: { role: 'frontend' } }, apiPod(objects), 5000)).to.equal(true);
      expect(networkPolicyAdmits(objects, testPod, apiPod(objects), 5000)).to.equal(true);
    });

    it("lets the API reach only DNS and its release's Redis pods on 6379", () => {
      const policy = findObject(defaults, 'NetworkPolicy', 'reas-api') as Any;
      expect(policy.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
      expect(policy.spec.egress).to.deep.equal([
        { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'reas' } } }], ports: [{ port: 6379, protocol: 'TCP' }] },
      ]);
    });

    it("lets the API reach an external Redis on its URL's port, within externalRedisCIDR when set", async () => {
      const objects = await chartTemplate({
        release: 'reas',
        setValues: { 'redis.enabled': false },
        set: { 'global.externalRedis.url': 'rediss://cache.example:6380', 'api.networkPolicy.externalRedisCIDR': '10.20.0.0/16' },
      });
      expect((findObject(objects, 'NetworkPolicy', 'reas-api') as Any).spec.egress[1]).to.deep.equal({ ports: [{ port: 6380, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] });
      const open = await chartTemplate({ release: 'reas', setValues: { 'redis.enabled': false }, set: { 'global.externalRedis.url': 'redis://cache.example' } });
      expect((findObject(open, 'NetworkPolicy', 'reas-api') as Any).spec.egress[1]).to.deep.equal({ ports: [{ port: 6379, protocol: 'TCP' }] });
    });

    it('is left out with networkPolicy.enabled=false', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'api.networkPolicy.enabled': false } });
      expect(objects.filter((object) => object.kind === 'NetworkPolicy').map((object) => object.metadata.name)).to.deep.equal(['reas-redis']);
    });
  });

  describe('StatefulSet reas-redis', () => {
    it('runs the pinned official image as uid 999 with /data, /tmp, the config and the password file mounted', () => {
      const spec = (findObject(defaults, 'StatefulSet', 'reas-redis') as Any).spec.template.spec;
      const container = spec.containers[0];
      expect(container.image).to.equal('redis:7.4.2-bookworm');
      expect(spec.securityContext).to.include({ runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
      expect(container.volumeMounts.map((mount: Any) => mount.mountPath)).to.deep.equal(['/data', '/etc/redis', '/tmp', '/var/run/secrets/redis']);
    });

    it('reads its password from a file mounted from the Secret, in no env var and no password argument', () => {
      const spec = (findObject(defaults, 'StatefulSet', 'reas-redis') as Any).spec.template.spec;
      const container = spec.containers[0];
      expect(container).not.to.have.property('env');
      expect(spec.volumes.find((volume: Any) => volume.name === 'redis-password').secret).to.deep.equal({
        secretName: 'reas-redis',
        defaultMode: 0o440,
        items: [{ key: 'redis-password', path: 'redis-password' }],
      });
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const command = (container[probe].exec.command as string[]).join(' ');
        expect(command).to.include('redis-cli');
        expect(command).to.include('$(cat /var/run/secrets/redis/redis-password)');
        expect(command).not.to.match(/\s-a\s|--pass|--user|-u\s/);
      }
      expect((container.command as string[]).join(' ')).not.to.match(/--requirepass|\s-a\s/);
    });

    it('is reachable through a ClusterIP Service and a headless Service named in serviceName', () => {
      const sts = findObject(defaults, 'StatefulSet', 'reas-redis') as Any;
      const headless = findObject(defaults, 'Service', 'reas-redis-headless') as Any;
      expect(sts.spec.serviceName).to.equal('reas-redis-headless');
      expect(headless.spec.clusterIP).to.equal('None');
      expect((findObject(defaults, 'Service', 'reas-redis') as Any).spec.ports).to.deep.equal([{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }]);
    });

    it('claims storage from the chosen class and size', () => {
      const claim = (findObject(optIns, 'StatefulSet', 'reas-redis') as Any).spec.volumeClaimTemplates[0];
      expect(claim.spec).to.deep.equal({ accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '2Gi' } } });
    });
  });
});
