import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runHelm, type K8sObject } from '../../hack/lib/helm.js';
import { envValue, networkPolicyAdmits, podTemplates, selectorMatches, type LabelSelector } from '../helpers/k8s-structure.js';
import { CHART_CASES, CHART_DIR, LONG_RELEASE, chartTemplate, chartTemplateArgs, findObject, renderCase } from './chart-cases.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REPLICATION = { 'global.redis.architecture': 'replication' } as const;
const SCRIPTS = ['ha-common.sh', 'start-redis.sh', 'start-sentinel.sh', 'pre-stop-redis.sh'];

const byFile = (file: string) => {
  const found = CHART_CASES.find((chartCase) => chartCase.file === file);
  if (found === undefined) throw new Error(file);
  return found;
};

async function renderError(setValues: Record<string, string | number | boolean>): Promise<string> {
  const result = await runHelm(chartTemplateArgs({ release: 'reas', setValues }));
  expect(result.code, `helm template with ${JSON.stringify(setValues)} should fail`).to.equal(1);
  return result.stderr;
}

const container = (sts: Any, name: string): Any => {
  const found = (sts.spec.template.spec.containers as Any[]).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
};

describe('helm chart: redis replication (global.redis.architecture=replication)', function () {
  this.timeout(60_000);
  let standalone: K8sObject[];
  let replication: K8sObject[];
  before(async () => {
    standalone = await renderCase(byFile('ci/default-values.yaml'));
    replication = await renderCase(byFile('ci/replication-values.yaml'));
  });

  describe('standalone (the default)', () => {
    it('renders one Redis pod without Sentinels, and the API gets no Sentinel variables', () => {
      const sts = findObject(standalone, 'StatefulSet', 'reas-redis') as Any;
      expect(sts.spec.replicas).to.equal(1);
      expect(sts.spec.template.spec.containers.map((c: Any) => c.name)).to.deep.equal(['redis']);
      expect(standalone.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name)).to.deep.equal(['reas-api']);
      expect(envValue(standalone, 'Deployment/reas-api', 'api', 'REDIS_SENTINELS')).to.equal(undefined);
      expect(JSON.stringify(standalone)).not.to.include('26379');
    });
  });

  describe('StatefulSet reas-redis', () => {
    it('runs three pods, each with a redis and a sentinel container of the same official image', () => {
      const sts = findObject(replication, 'StatefulSet', 'reas-redis') as Any;
      expect(sts.spec.replicas).to.equal(3);
      expect(sts.spec.serviceName).to.equal('reas-redis-headless');
      const containers = sts.spec.template.spec.containers as Any[];
      expect(containers.map((c) => c.name)).to.deep.equal(['redis', 'sentinel']);
      expect(containers.map((c) => c.image)).to.deep.equal(['redis:7.4.2-bookworm', 'redis:7.4.2-bookworm']);
      expect(container(sts, 'redis').ports).to.deep.equal([{ name: 'redis', containerPort: 6379, protocol: 'TCP' }]);
      expect(container(sts, 'sentinel').ports).to.deep.equal([{ name: 'sentinel', containerPort: 26379, protocol: 'TCP' }]);
    });

    it('keeps what a StatefulSet cannot change from standalone, so switching architectures keeps pod 0 and its claim', () => {
      const before = findObject(standalone, 'StatefulSet', 'reas-redis') as Any;
      const after = findObject(replication, 'StatefulSet', 'reas-redis') as Any;
      for (const field of ['selector', 'serviceName', 'podManagementPolicy', 'volumeClaimTemplates']) {
        expect(after.spec[field], field).to.deep.equal(before.spec[field]);
      }
    });

    it('reads the password from the mounted Secret file, never from an environment variable', () => {
      const sts = findObject(replication, 'StatefulSet', 'reas-redis') as Any;
      const volume = (sts.spec.template.spec.volumes as Any[]).find((v) => v.name === 'redis-password') as Any;
      expect(volume.secret).to.deep.equal({ secretName: 'reas-redis', defaultMode: 0o440, items: [{ key: 'redis-password', path: 'redis-password' }] });
      for (const name of ['redis', 'sentinel']) {
        const c = container(sts, name);
        expect(c.env.filter((e: Any) => e.valueFrom !== undefined), name).to.deep.equal([]);
        expect(c.env.find((e: Any) => e.name === 'REDIS_PASSWORD_FILE').value).to.equal('/var/run/secrets/reas/redis-password');
        expect(c.volumeMounts).to.deep.include({ name: 'redis-password', mountPath: '/var/run/secrets/reas', readOnly: true });
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          expect(c[probe].exec.command.join(' '), `${name} ${probe}`).to.include('REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE")');
        }
      }
    });

    it('runs both containers with a read-only root filesystem; Sentinel writes its config into its own emptyDir', () => {
      const sts = findObject(replication, 'StatefulSet', 'reas-redis') as Any;
      for (const name of ['redis', 'sentinel']) expect(container(sts, name).securityContext.readOnlyRootFilesystem, name).to.equal(true);
      expect(container(sts, 'sentinel').volumeMounts).to.deep.include({ name: 'sentinel', mountPath: '/sentinel' });
      const volume = (sts.spec.template.spec.volumes as Any[]).find((v) => v.name === 'sentinel') as Any;
      expect(volume.emptyDir).to.deep.equal({ medium: 'Memory', sizeLimit: '1Mi' });
    });

    it('names every Redis pod by its stable DNS name through the headless Service', () => {
      const nodes = envValue(replication, 'StatefulSet/reas-redis', 'redis', 'REDIS_NODES');
      expect(nodes).to.equal([0, 1, 2].map((i) => `reas-redis-${i}.reas-redis-headless.default.svc.cluster.local`).join(' '));
      expect(envValue(replication, 'StatefulSet/reas-redis', 'sentinel', 'REDIS_NODES')).to.equal(nodes);
    });

    it('asks the Sentinels to fail over in the primary\'s preStop, within the grace period', () => {
      const sts = findObject(replication, 'StatefulSet', 'reas-redis') as Any;
      expect(container(sts, 'redis').lifecycle.preStop).to.deep.equal({ exec: { command: ['/bin/sh', '/etc/redis/pre-stop-redis.sh'] } });
      const wait = Number(envValue(replication, 'StatefulSet/reas-redis', 'redis', 'FAILOVER_WAIT_SECONDS'));
      expect(wait).to.be.greaterThan(0).and.lessThan(sts.spec.template.spec.terminationGracePeriodSeconds);
    });

    it('prefers one node per Redis pod by default and requires it with podAntiAffinity hard', async () => {
      const soft = (findObject(replication, 'StatefulSet', 'reas-redis') as Any).spec.template;
      const preferred = soft.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
      expect(preferred.topologyKey).to.equal('kubernetes.io/hostname');
      expect(selectorMatches(preferred.labelSelector as LabelSelector, soft.metadata.labels)).to.equal(true);
      const hard = await chartTemplate({ release: 'reas', setValues: { ...REPLICATION, 'redis.replication.podAntiAffinity': 'hard' } });
      const required = (findObject(hard, 'StatefulSet', 'reas-redis') as Any).spec.template.spec.affinity.podAntiAffinity;
      expect(required).to.have.all.keys('requiredDuringSchedulingIgnoredDuringExecution');
    });
  });

  describe('ConfigMap reas-redis', () => {
    it('configures the Sentinels from the values: quorum, down-after-milliseconds, failover-timeout, hostnames', async () => {
      const objects = await chartTemplate({
        release: 'reas',
        setValues: { ...REPLICATION, 'redis.sentinel.quorum': 3, 'redis.sentinel.downAfterMilliseconds': 2500, 'redis.sentinel.failoverTimeout': 30000 },
      });
      const conf = ((findObject(objects, 'ConfigMap', 'reas-redis') as Any).data['sentinel.conf'] as string).split('\n');
      expect(conf).to.include.members([
        'sentinel resolve-hostnames yes',
        'sentinel announce-hostnames yes',
        'sentinel monitor mymaster @MASTER@ 6379 3',
        'sentinel down-after-milliseconds mymaster 2500',
        'sentinel failover-timeout mymaster 30000',
      ]);
      const defaults = ((findObject(replication, 'ConfigMap', 'reas-redis') as Any).data['sentinel.conf'] as string).split('\n');
      expect(defaults).to.include.members(['sentinel monitor mymaster @MASTER@ 6379 2', 'sentinel down-after-milliseconds mymaster 5000']);
    });

    it('carries the start-up and preStop scripts exactly as charts/redis/files has them, and they parse as sh', () => {
      const data = (findObject(replication, 'ConfigMap', 'reas-redis') as Any).data as Record<string, string>;
      for (const script of SCRIPTS) {
        const file = readFileSync(join(CHART_DIR, 'charts/redis/files', script), 'utf8');
        expect(data[script], script).to.equal(file);
        const check = spawnSync('sh', ['-n', join(CHART_DIR, 'charts/redis/files', script)], { encoding: 'utf8' });
        expect(check.status, `sh -n ${script}: ${check.stderr}`).to.equal(0);
      }
    });

    it('writes no password into the ConfigMap: the scripts take it from the mounted file at start', () => {
      const text = JSON.stringify(findObject(replication, 'ConfigMap', 'reas-redis'));
      const secret = findObject(replication, 'Secret', 'reas-redis') as Any;
      const password = Buffer.from(secret.data['redis-password'], 'base64').toString();
      expect(password.length).to.be.greaterThan(15);
      expect(text).not.to.include(password);
      expect((findObject(replication, 'ConfigMap', 'reas-redis') as Any).data['redis.conf']).to.include('include /tmp/redis-start.conf');
    });
  });

  describe('Services, NetworkPolicy and PodDisruptionBudget', () => {
    it('exposes Redis and Sentinel ports on the client and headless Services; the headless one publishes starting pods', () => {
      for (const name of ['reas-redis', 'reas-redis-headless']) {
        const service = findObject(replication, 'Service', name) as Any;
        expect(service.spec.ports.map((p: Any) => [p.name, p.port, p.targetPort]), name).to.deep.equal([['redis', 6379, 'redis'], ['sentinel', 26379, 'sentinel']]);
      }
      expect((findObject(replication, 'Service', 'reas-redis-headless') as Any).spec.publishNotReadyAddresses).to.equal(true);
    });

    it('admits the API and the test Job to Redis and Sentinel, the Redis pods to each other, and nobody else', () => {
      const target = podTemplates(replication).find((t) => t.owner === 'StatefulSet/reas-redis');
      if (target === undefined) throw new Error('no Redis pod template');
      const pod = (labels: Record<string, string>) => ({ namespace: 'default', labels: { 'app.kubernetes.io/instance': 'reas', ...labels } });
      const api = pod({ 'app.kubernetes.io/name': 'api' });
      const test = pod({ 'app.kubernetes.io/name': 'reas', 'app.kubernetes.io/component': 'test' });
      const peer = pod({ 'app.kubernetes.io/name': 'redis' });
      const intruder = pod({ 'app.kubernetes.io/name': 'intruder' });
      for (const port of [6379, 26379]) {
        for (const [who, client] of [['api', api], ['test', test], ['peer', peer]] as const) {
          expect(networkPolicyAdmits(replication, client, target, port), `${who} on ${port}`).to.equal(true);
        }
        expect(networkPolicyAdmits(replication, intruder, target, port), `intruder on ${port}`).to.equal(false);
      }
      expect(networkPolicyAdmits(replication, api, target, 16379)).to.equal(false);
    });

    it('lets a drain evict one Redis pod at a time', () => {
      const pdb = findObject(replication, 'PodDisruptionBudget', 'reas-redis') as Any;
      expect(pdb.spec.maxUnavailable).to.equal(1);
      const template = podTemplates(replication).find((t) => t.owner === 'StatefulSet/reas-redis');
      expect(selectorMatches(pdb.spec.selector as LabelSelector, template?.labels ?? {})).to.equal(true);
    });
  });

  describe('Deployment reas-api', () => {
    it('gets the three Sentinels as REDIS_SENTINELS and the master name, and keeps the password file', () => {
      expect(envValue(replication, 'Deployment/reas-api', 'api', 'REDIS_SENTINELS')).to.equal(
        'reas-redis-0.reas-redis-headless:26379,reas-redis-1.reas-redis-headless:26379,reas-redis-2.reas-redis-headless:26379',
      );
      expect(envValue(replication, 'Deployment/reas-api', 'api', 'REDIS_SENTINEL_MASTER')).to.equal('mymaster');
      expect(envValue(replication, 'Deployment/reas-api', 'api', 'REDIS_PASSWORD_FILE')).to.equal('/var/run/secrets/reas/redis-password');
    });

    it('derives the Sentinel names from the StatefulSet and headless Service names for a 53-character release', async () => {
      const objects = await chartTemplate({ release: LONG_RELEASE, setValues: REPLICATION });
      const sts = objects.find((o) => o.kind === 'StatefulSet') as Any;
      const deployment = objects.find((o) => o.kind === 'Deployment') as K8sObject;
      const sentinels = envValue(objects, `Deployment/${deployment.metadata.name}`, 'api', 'REDIS_SENTINELS');
      expect(sentinels).to.equal([0, 1, 2].map((i) => `${sts.metadata.name}-${i}.${sts.spec.serviceName}:26379`).join(','));
    });
  });

  describe('values.schema.json and render-time checks', () => {
    it('rejects a quorum larger than the three Sentinels, or under 1', async () => {
      expect(await renderError({ ...REPLICATION, 'redis.sentinel.quorum': 4 })).to.match(/sentinel[./]quorum/);
      expect(await renderError({ ...REPLICATION, 'redis.sentinel.quorum': 0 })).to.match(/sentinel[./]quorum/);
    });

    it('rejects an unknown architecture, a non-integer down-after time and an unknown anti-affinity preset', async () => {
      expect(await renderError({ 'global.redis.architecture': 'cluster' })).to.match(/architecture/).and.match(/standalone.*replication/);
      expect(await renderError({ ...REPLICATION, 'redis.sentinel.downAfterMilliseconds': '5s' })).to.match(/downAfterMilliseconds/);
      expect(await renderError({ ...REPLICATION, 'redis.replication.podAntiAffinity': 'sometimes' })).to.match(/podAntiAffinity/);
    });

    it('refuses replication without the bundled Redis, and a grace period too short for the failover wait', async () => {
      expect(await renderError({ ...REPLICATION, 'redis.enabled': false, 'global.externalRedis.url': 'redis://cache.example:6379' })).to.match(
        /replication .*needs redis\.enabled=true/,
      );
      expect(await renderError({ ...REPLICATION, 'redis.terminationGracePeriodSeconds': 8 })).to.match(/terminationGracePeriodSeconds \(8\) must be at least 10/);
    });
  });
});
