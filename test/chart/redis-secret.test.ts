import { expect } from 'chai';
import { runHelm, type K8sObject } from '../../hack/lib/helm.js';
import { CHART_CASES, chartTemplate, chartTemplateArgs, findObject, renderCase } from './chart-cases.js';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';

type SecretObject = K8sObject & { data: Record<string, string> };

function password(objects: readonly K8sObject[]): string {
  const secret = findObject(objects, 'Secret', 'reas-redis') as SecretObject;
  return Buffer.from(secret.data['redis-password'] ?? '', 'base64').toString();
}

describe('helm chart: the Redis password Secret', function () {
  this.timeout(60_000);

  it('generates a random 32-character password on install', async () => {
    const first = password(await chartTemplate({ release: 'reas' }));
    const second = password(await chartTemplate({ release: 'reas' }));
    expect(first).to.match(/^[A-Za-z0-9]{32}$/);
    expect(second).to.match(/^[A-Za-z0-9]{32}$/);
    expect(first).not.to.equal(second);
  });

  it('uses redis.auth.password when it is set', async () => {
    const objects = await chartTemplate({ release: 'reas', set: { 'redis.auth.password': 'a-chosen-password-0123' } });
    expect(password(objects)).to.equal('a-chosen-password-0123');
  });

  it('refuses an upgrade render that cannot see the existing Secret instead of rotating the password', async () => {
    const result = await runHelm(chartTemplateArgs({ release: 'reas', isUpgrade: true }));
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('redis: upgrade found no Secret default/reas-redis to keep the Redis password from');
    expect(result.stderr).to.include('--dry-run=server');
  });

  it('renders an upgrade without a cluster when redis.auth.password is given', async () => {
    const objects = await chartTemplate({ release: 'reas', isUpgrade: true, set: { 'redis.auth.password': 'a-chosen-password-0123' } });
    expect(password(objects)).to.equal('a-chosen-password-0123');
  });

  describe('on upgrade against an API server that holds the release Secret', () => {
    let server: FakeApiServer;
    const kept = 'kept0password0from0install0XYZ12';

    before(async () => {
      const installed = await renderCase(CHART_CASES[0] as (typeof CHART_CASES)[number]);
      const secret = structuredClone(findObject(installed, 'Secret', 'reas-redis')) as SecretObject;
      secret.metadata.namespace = 'default';
      // As helm left it at install: owned by the release, so helm's ownership check accepts it.
      secret.metadata.annotations = { 'meta.helm.sh/release-name': 'reas', 'meta.helm.sh/release-namespace': 'default' };
      secret.data = { 'redis-password': Buffer.from(kept).toString('base64') };
      server = await startFakeApiServer(installed, [secret]);
    });
    after(() => server.close());

    it('keeps the password it finds with lookup', async () => {
      const objects = await chartTemplate({
        release: 'reas',
        isUpgrade: true,
        extraArgs: ['--dry-run=server', '--disable-openapi-validation', '--kube-apiserver', server.url],
      });
      expect(server.requests).to.include('GET /api/v1/namespaces/default/secrets/reas-redis');
      expect(password(objects)).to.equal(kept);
    });
  });
});
