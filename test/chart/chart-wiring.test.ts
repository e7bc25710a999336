import { join } from 'node:path';
import { expect } from 'chai';
import { runHelm, type K8sObject } from '../../hack/lib/helm.js';
import { checkUrlTargetsService, envValue } from '../helpers/k8s-structure.js';
import { CHART_CASES, CHART_DIR, chartTemplate, chartTemplateArgs, findObject, renderCase } from './chart-cases.js';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';

/*
 * Settings off the default path that must reach every object that depends on them: the bundled Redis' port and
 * password Secret (shared by both subcharts through global.redis), image digests, and the release namespace.
 */

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIGEST = `sha256:${'ab'.repeat(32)}`;

const volumes = (objects: K8sObject[], kind: string, name: string): Any[] => (findObject(objects, kind, name) as Any).spec.template.spec.volumes;

describe('helm chart: wiring of shared settings', function () {
  this.timeout(60_000);

  describe('global.redis.service.port', () => {
    it('moves the Redis Service and the API follows it', async () => {
      const objects = await chartTemplate({ release: 'reas', setValues: { 'global.redis.service.port': 6380 } });
      const url = envValue(objects, 'Deployment/reas-api', 'api', 'REDIS_URL') as string;
      expect(url).to.equal('redis://reas-redis:6380');
      expect(checkUrlTargetsService(objects, url)).to.deep.equal([]);
    });

    it('refuses redis.service.port alone, which the API subchart cannot see, naming the key to set instead', async () => {
      const result = await runHelm(chartTemplateArgs({ release: 'reas', setValues: { 'redis.service.port': 6380 } }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('redis.service.port (6380) differs from the port the API connects to (6379): set global.redis.service.port=6380');
    });
  });

  describe('global.redis.auth.existingSecret', () => {
    let objects: K8sObject[];
    before(async () => {
      objects = await chartTemplate({ release: 'reas', set: { 'global.redis.auth.existingSecret': 'reas-redis-auth', 'global.redis.auth.existingSecretPasswordKey': 'password' } });
    });

    it('renders no password Secret, so every render (helm template, Argo CD, Flux) is the same', async () => {
      expect(objects.filter((object) => object.kind === 'Secret')).to.deep.equal([]);
      const again = await chartTemplate({ release: 'reas', set: { 'global.redis.auth.existingSecret': 'reas-redis-auth', 'global.redis.auth.existingSecretPasswordKey': 'password' } });
      expect(JSON.stringify(again)).to.equal(JSON.stringify(objects));
    });

    it('has Redis and the API read the password from that Secret and key', () => {
      const redisSecret = volumes(objects, 'StatefulSet', 'reas-redis').find((volume) => volume.name === 'redis-password')?.secret;
      expect(redisSecret?.secretName).to.equal('reas-redis-auth');
      expect(redisSecret?.items).to.deep.equal([{ key: 'password', path: 'redis-password' }]);
      const apiSecret = volumes(objects, 'Deployment', 'reas-api').find((volume) => volume.name === 'redis-password')?.secret;
      expect(apiSecret?.secretName).to.equal('reas-redis-auth');
      expect(apiSecret?.items).to.deep.equal([{ key: 'password', path: 'redis-password' }]);
    });

    it('refuses redis.auth.existingSecret alone, which the API subchart cannot see', async () => {
      const result = await runHelm(chartTemplateArgs({ release: 'reas', set: { 'redis.auth.existingSecret': 'mine' } }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('set global.redis.auth.existingSecret=mine');
    });

    it('refuses a password together with an existing Secret', async () => {
      const result = await runHelm(chartTemplateArgs({ release: 'reas', set: { 'global.redis.auth.existingSecret': 'mine', 'redis.auth.password': 'a-chosen-password-0123' } }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('redis.auth.password and global.redis.auth.existingSecret exclude each other');
    });
  });

  describe('image.digest', () => {
    it('pins every image by digest and keeps the version labels valid', async () => {
      const objects = await chartTemplate({ release: 'reas', set: { 'api.image.digest': DIGEST, 'redis.image.digest': DIGEST, 'test.image.digest': DIGEST } });
      const image = (kind: string, name: string) => ((findObject(objects, kind, name) as Any).spec.template.spec.containers[0] as Any).image as string;
      expect(image('Deployment', 'reas-api')).to.equal(`reas:0.1.0@${DIGEST}`);
      expect(image('StatefulSet', 'reas-redis')).to.equal(`redis:7.4.2-bookworm@${DIGEST}`);
      expect(findObject(objects, 'StatefulSet', 'reas-redis').metadata.labels?.['app.kubernetes.io/version']).to.equal('7.4.2-bookworm');
    });

    it('labels a Redis tag written as tag@digest with its tag part (the API server rejects "@" in a label)', async () => {
      const objects = await chartTemplate({ release: 'reas', set: { 'redis.image.tag': `7.4.2-bookworm@${DIGEST}` } });
      const labelled = objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/name'] === 'redis');
      expect(labelled.length).to.be.greaterThan(3);
      for (const object of labelled) expect(object.metadata.labels?.['app.kubernetes.io/version'], `${object.kind}/${object.metadata.name}`).to.equal('7.4.2-bookworm');
    });

    it('rejects a digest that is not algorithm:hex', async () => {
      const result = await runHelm(chartTemplateArgs({ release: 'reas', set: { 'api.image.digest': 'latest' } }));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/image[./]digest/);
    });
  });

  describe('extension points (ci/extension-points-values.yaml)', () => {
    let objects: K8sObject[];
    let pod: Any;
    before(async () => {
      objects = await renderCase(CHART_CASES.find((chartCase) => chartCase.file === 'ci/extension-points-values.yaml') as (typeof CHART_CASES)[number]);
      pod = (findObject(objects, 'Deployment', 'counter') as Any).spec.template;
    });

    it('names the API objects api.fullnameOverride, and the test Pod and Redis NetworkPolicy still find them', () => {
      expect(objects.filter((object) => object.metadata.name.endsWith('-api'))).to.deep.equal([]);
      const baseUrl = ((findObject(objects, 'Pod', 'reas-test') as Any).spec.containers[0].env as Any[]).find((env) => env.name === 'BASE_URL')?.value as string;
      expect(baseUrl).to.equal('http://counter:5000');
      expect(checkUrlTargetsService(objects, baseUrl)).to.deep.equal([]);
    });

    it('prefixes every image with global.imageRegistry and gives every pod global.imagePullSecrets', () => {
      const pods: Any[] = [pod.spec, (findObject(objects, 'StatefulSet', 'reas-redis') as Any).spec.template.spec, (findObject(objects, 'Pod', 'reas-test') as Any).spec];
      expect(pods.map((spec) => spec.containers[0].image)).to.deep.equal([
        'registry.example.test:5000/reas:0.1.0',
        'registry.example.test:5000/redis:7.4.2-bookworm',
        'registry.example.test:5000/reas-test:0.1.0',
      ]);
      for (const spec of pods) expect(spec.imagePullSecrets).to.deep.equal([{ name: 'mirror-pull' }]);
    });

    it('adds extraEnv after the chart variables, extraEnvFrom, and mounts extraVolumes', () => {
      const container = pod.spec.containers[0];
      const names = (container.env as Any[]).map((env) => env.name);
      expect(names.slice(-2)).to.deep.equal(['NODE_OPTIONS', 'POD_NAME']);
      expect(container.env.find((env: Any) => env.name === 'MAX_BODY_BYTES').value).to.equal('4096');
      expect(container.envFrom).to.deep.equal([{ configMapRef: { name: 'reas-extra-env', optional: true } }]);
      expect(pod.spec.volumes.find((volume: Any) => volume.name === 'extra-ca').configMap).to.deep.equal({ name: 'reas-extra-ca', optional: true });
      expect(container.volumeMounts.find((mount: Any) => mount.name === 'extra-ca')).to.deep.equal({ name: 'extra-ca', mountPath: '/etc/ssl/extra', readOnly: true });
    });

    it('sets the priority classes, Service annotations and pod labels (never in a selector)', () => {
      expect(pod.spec.priorityClassName).to.equal('reas-api');
      expect((findObject(objects, 'StatefulSet', 'reas-redis') as Any).spec.template.spec.priorityClassName).to.equal('reas-data');
      expect(findObject(objects, 'Service', 'counter').metadata.annotations).to.deep.equal({ 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' });
      expect(pod.metadata.labels.team).to.equal('payments');
      expect((findObject(objects, 'Deployment', 'counter') as Any).spec.selector.matchLabels).not.to.have.property('team');
    });

    it('passes MAX_BODY_BYTES with its default of 1024', async () => {
      const defaults = await chartTemplate({ release: 'reas' });
      expect(envValue(defaults, 'Deployment/reas-api', 'api', 'MAX_BODY_BYTES')).to.equal('1024');
    });

    it('rejects an extraEnv entry without a name and a body limit above what the service accepts', async () => {
      const noName = await runHelm(chartTemplateArgs({ release: 'reas', extraArgs: ['--set-json', 'api.extraEnv=[{"value":"x"}]'] }));
      expect(noName.code).to.equal(1);
      expect(noName.stderr).to.match(/extraEnv/);
      const big = await runHelm(chartTemplateArgs({ release: 'reas', setValues: { 'api.config.maxBodyBytes': 2_000_000 } }));
      expect(big.code).to.equal(1);
      expect(big.stderr).to.match(/maxBodyBytes/);
    });
  });

  describe('metadata.namespace', () => {
    for (const chartCase of CHART_CASES) {
      it(`is the release namespace on every object of ${chartCase.file}, so kubectl apply without -n lands there`, async () => {
        const objects = await chartTemplate({ release: chartCase.release, namespace: 'shop', valuesFiles: [join(CHART_DIR, chartCase.file)] });
        expect(objects.filter((object) => object.metadata.namespace !== 'shop').map((object) => `${object.kind}/${object.metadata.name}`)).to.deep.equal([]);
      });
    }
  });

  describe('NOTES.txt', () => {
    let server: FakeApiServer;
    before(async () => {
      server = await startFakeApiServer(await renderCase(CHART_CASES[0] as (typeof CHART_CASES)[number]), []);
    });
    after(() => server.close());

    it('prints the Redis port the Service listens on', async () => {
      const result = await runHelm([
        'install', 'shop', CHART_DIR, '--namespace', 'apps', '--set', 'global.redis.service.port=6380',
        '--dry-run=server', '--disable-openapi-validation', '--kube-apiserver', server.url,
      ]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.slice(result.stdout.indexOf('NOTES:'))).to.include('Redis: shop-redis:6380');
    });
  });
});
