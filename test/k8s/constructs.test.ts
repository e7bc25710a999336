import { expect } from 'chai';
import { App, Chart } from 'cdk8s';
import { Api } from '../../k8s/lib/api.js';
import { names } from '../../k8s/lib/labels.js';
import { Redis } from '../../k8s/lib/redis.js';
import { RedisReplication } from '../../k8s/lib/redis-replication.js';
import { ReasChart } from '../../k8s/lib/reas-chart.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest is untyped JSON; the assertions check it
type Manifest = any;

function synth(build: (chart: Chart) => void): Manifest[] {
  const chart = new Chart(new App(), 'test', { disableResourceNameHashes: true });
  build(chart);
  return chart.toJson();
}

const secret = { name: 'reas-redis', key: 'redis-password' };

describe('Api construct', () => {
  const deployment = (objects: Manifest[]) => objects.find((o) => o.kind === 'Deployment');

  it('sleeps the given seconds before SIGTERM', () => {
    const objects = synth((c) => new Api(c, 'api', { release: 'reas', version: '1.2.3', redisUrl: 'redis://r:6379', redisPasswordSecret: secret, preStopSleepSeconds: 7 }));
    expect(deployment(objects).spec.template.spec.containers[0].lifecycle).to.deep.equal({ preStop: { sleep: { seconds: 7 } } });
  });

  it('has no preStop hook when the sleep is 0', () => {
    const objects = synth((c) => new Api(c, 'api', { release: 'reas', version: '1.2.3', redisUrl: 'redis://r:6379', preStopSleepSeconds: 0 }));
    expect(deployment(objects).spec.template.spec.containers[0].lifecycle).to.equal(undefined);
  });

  it('mounts no password and sets no REDIS_PASSWORD_FILE without a Secret', () => {
    const container = deployment(synth((c) => new Api(c, 'api', { release: 'reas', version: '1.2.3', redisUrl: 'redis://r:6379' }))).spec.template.spec.containers[0];
    expect(container.env.map((e: { name: string }) => e.name)).to.not.include('REDIS_PASSWORD_FILE');
    expect(container.volumeMounts.map((m: { name: string }) => m.name)).to.deep.equal(['tmp']);
  });

  it('tags the image with the version and omits the PDB when asked', () => {
    const objects = synth((c) => new Api(c, 'api', { release: 'reas', version: '1.2.3', redisUrl: 'redis://r:6379', pdbMaxUnavailable: undefined }));
    expect(deployment(objects).spec.template.spec.containers[0].image).to.equal('reas:1.2.3');
    expect(objects.map((o) => o.kind)).to.not.include('PodDisruptionBudget');
  });
});

describe('Redis construct', () => {
  const policy = (objects: Manifest[]) => objects.find((o) => o.kind === 'NetworkPolicy');

  it('admits only the enabled clients, each within the release', () => {
    const objects = synth((c) => new Redis(c, 'redis', {
      release: 'reas',
      allowedClients: { api: { podLabels: { 'app.kubernetes.io/name': 'api' } }, test: { enabled: false, podLabels: { x: 'y' } } },
    }));
    expect(policy(objects).spec.ingress[0].from).to.deep.equal([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'reas' } } },
    ]);
  });

  it('writes no NetworkPolicy when it is switched off', () => {
    expect(policy(synth((c) => new Redis(c, 'redis', { release: 'reas', networkPolicy: false })))).to.equal(undefined);
  });

  it('exposes its URL and the Secret it reads the password from', () => {
    synth((c) => {
      const redis = new Redis(c, 'redis', { release: 'shop' });
      expect(redis.url).to.equal('redis://shop-redis:6379');
      expect(redis.passwordSecret).to.deep.equal({ name: 'shop-redis', key: 'redis-password' });
    });
  });
});

describe('names', () => {
  it('keeps at most 46 characters of the release in Redis names and 63 in all', () => {
    const release = 'a'.repeat(45) + '-bcdefgh';
    expect(names.redis(release)).to.equal(`${'a'.repeat(45)}-redis`);
    expect(names.api('x'.repeat(70))).to.have.length(63);
    expect(names.api(`${'x'.repeat(62)}-y`)).to.equal('x'.repeat(62));
  });
});

describe('RedisReplication construct', () => {
  it('lists every Sentinel by its pod name in the headless Service, and hands that list to the API in ReasChart', () => {
    const app = new App();
    const chart = new ReasChart(app, 'reas', { release: 'shop', namespace: 'apps', redisArchitecture: 'replication' });
    const sentinels = 'shop-redis-0.shop-redis-headless:26379,shop-redis-1.shop-redis-headless:26379,shop-redis-2.shop-redis-headless:26379';
    expect((chart.redis as RedisReplication).sentinels).to.equal(sentinels);
    const api = chart.toJson().find((o: Manifest) => o.kind === 'Deployment');
    const env = Object.fromEntries(api.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).to.include({ REDIS_SENTINELS: sentinels, REDIS_SENTINEL_MASTER: 'mymaster', REDIS_URL: 'redis://shop-redis:6379' });
  });

  it('refuses a quorum the three Sentinels cannot reach, and replication with an external Redis', () => {
    expect(() => synth((c) => new RedisReplication(c, 'redis', { release: 'reas', namespace: 'reas', sentinel: { quorum: 4 } }))).to.throw(/quorum must be 1-3/);
    expect(() => synth((c) => new RedisReplication(c, 'redis', { release: 'reas', namespace: 'reas', sentinel: { quorum: 0 } }))).to.throw(/quorum must be 1-3/);
    expect(() => new ReasChart(new App(), 'reas', { redisArchitecture: 'replication', externalRedis: { url: 'redis://cache:6379' } })).to.throw(/cannot be combined with externalRedis/);
  });

  it('requires one node per pod with podAntiAffinity hard', () => {
    const sts = synth((c) => new RedisReplication(c, 'redis', { release: 'reas', namespace: 'reas', podAntiAffinity: 'hard' })).find((o) => o.kind === 'StatefulSet');
    expect(Object.keys(sts.spec.template.spec.affinity.podAntiAffinity)).to.deep.equal(['requiredDuringSchedulingIgnoredDuringExecution']);
  });
});
