import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runHelm } from '../../hack/lib/helm.js';
import { CHART_CASES, CHART_DIR, chartTemplate, chartTemplateArgs, findObject, renderCase } from './chart-cases.js';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';
import { umbrellaValues } from '../../hack/tools/umbrella-values.js';
import { parse } from 'yaml';
import { helmDocsRow, valueAt, VALUES_FILES, valuesKeys } from './values-docs.js';

/** helm create's values.yaml keys, in its order. */
const HELM_CREATE_ORDER = [
  'replicaCount', 'image', 'imagePullSecrets', 'nameOverride', 'fullnameOverride', 'serviceAccount', 'podAnnotations', 'podLabels',
  'podSecurityContext', 'securityContext', 'service', 'ingress', 'httpRoute', 'resources', 'livenessProbe', 'readinessProbe',
  'autoscaling', 'volumes', 'volumeMounts', 'nodeSelector', 'tolerations', 'affinity',
];

/** helm v4 and v3 word schema errors differently ("additional properties 'x' not allowed" / "Additional property x is not allowed"). */
function unknownKey(key: string): RegExp {
  return new RegExp(`additional propert(?:y|ies) '?${key}'? (?:is )?not allowed`, 'i');
}

async function renderError(setValues: Record<string, string | number | boolean>): Promise<string> {
  const result = await runHelm(chartTemplateArgs({ release: 'reas', setValues }));
  expect(result.code, `helm template with ${JSON.stringify(setValues)} should fail`).to.equal(1);
  return result.stderr;
}

describe('helm chart: values', function () {
  this.timeout(60_000);

  for (const { file } of VALUES_FILES) {
    describe(file, () => {
      it('comments every key with what it does, not starting with the key name (issue 12)', () => {
        const keys = valuesKeys(file);
        expect(keys.length).to.be.greaterThan(5);
        const undocumented = keys.filter((entry) => {
          const first = entry.comment[0] ?? '';
          return first.trim() === '' || new RegExp(`^${entry.key}\\b`, 'i').test(first);
        });
        expect(undocumented.map((entry) => `${file}:${entry.line} ${entry.path}`)).to.deep.equal([]);
      });

      it("marks every value for helm-docs (`# -- `) and no section, so the generated table lists exactly the values", () => {
        const wrong = valuesKeys(file).filter((entry) => entry.helmDocs === entry.parent);
        expect(wrong.map((entry) => `${file}:${entry.line} ${entry.path} (${entry.parent ? 'a section: plain #' : 'a value: # --'})`)).to.deep.equal([]);
      });

      it("keeps helm create's key order for the keys it shares with it", () => {
        const topLevel = valuesKeys(file).filter((entry) => !entry.path.includes('.')).map((entry) => entry.key);
        const shared = topLevel.filter((key) => HELM_CREATE_ORDER.includes(key));
        expect(shared).to.deep.equal([...shared].sort((a, b) => HELM_CREATE_ORDER.indexOf(a) - HELM_CREATE_ORDER.indexOf(b)));
      });
    });
  }

  describe('values.schema.json', () => {
    it('rejects an unknown key in the umbrella, the api and the redis values', async () => {
      expect(await renderError({ replicas: 3 })).to.match(unknownKey('replicas'));
      expect(await renderError({ 'api.replicas': 3 })).to.match(/api:/).and.match(unknownKey('replicas'));
      expect(await renderError({ 'redis.persistence.sizee': '2Gi' })).to.match(/redis:/).and.match(unknownKey('sizee'));
    });

    it('rejects an appendfsync Redis does not know and a weak or unquotable password', async () => {
      expect(await renderError({ 'redis.config.appendfsync': 'sometimes' })).to.match(/config[./]appendfsync/).and.match(/always.*everysec.*no/);
      expect(await renderError({ 'redis.auth.password': 'short' })).to.match(/auth[./]password/);
      expect(await renderError({ 'redis.auth.password': 'has-a-quote"-in-it-0123' })).to.match(/auth[./]password/);
    });

    it('rejects an external Redis URL of another scheme', async () => {
      expect(await renderError({ 'redis.enabled': false, 'global.externalRedis.url': 'http://cache:6379' })).to.match(/global[./]externalRedis[./]url/);
    });
  });

  describe('render-time checks', () => {
    it('fails when both the bundled and an external Redis are configured, or neither', async () => {
      expect(await renderError({ 'global.externalRedis.url': 'redis://cache:6379' })).to.include('set either redis.enabled=true (the bundled Redis) or global.externalRedis.url, not both');
      expect(await renderError({ 'redis.enabled': false })).to.include('redis.enabled=false needs global.externalRedis.url');
    });

    it('fails when the termination grace period cannot cover the preStop pause plus the shutdown budget', async () => {
      const stderr = await renderError({ 'api.terminationGracePeriodSeconds': 15 });
      expect(stderr).to.include('api.terminationGracePeriodSeconds (15) must exceed api.preStopSleepSeconds + api.config.shutdownTimeoutMs in seconds, rounded up (15)');
      const rounded = await renderError({ 'api.terminationGracePeriodSeconds': 16, 'api.config.shutdownTimeoutMs': 10_500, 'api.preStopSleepSeconds': 5 });
      expect(rounded).to.include('(16) must exceed');
    });
  });

  describe('redis config', () => {
    it('turns AOF on with the chosen appendfsync, keeps the password out, and rolls the pod when it changes', async () => {
      const defaults = await chartTemplate({ release: 'reas', set: { 'redis.auth.password': 'a-chosen-password-0123' } });
      const always = await chartTemplate({ release: 'reas', set: { 'redis.auth.password': 'a-chosen-password-0123', 'redis.config.appendfsync': 'always' } });
      const conf = (objects: typeof defaults) => (findObject(objects, 'ConfigMap', 'reas-redis') as unknown as { data: Record<string, string> }).data['redis.conf'] ?? '';
      const checksum = (objects: typeof defaults) =>
        (findObject(objects, 'StatefulSet', 'reas-redis') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations['checksum/config'];
      expect(conf(defaults)).to.match(/^appendonly yes$/m).and.match(/^appendfsync everysec$/m).and.match(/^include \/tmp\/redis-auth\.conf$/m);
      expect(conf(always)).to.match(/^appendfsync always$/m);
      expect(conf(defaults)).not.to.include('a-chosen-password-0123');
      expect(checksum(defaults)).to.match(/^[0-9a-f]{64}$/);
      expect(checksum(always)).to.match(/^[0-9a-f]{64}$/).and.not.equal(checksum(defaults));
    });
  });

  describe('NOTES.txt', () => {
    let server: FakeApiServer;
    before(async () => {
      server = await startFakeApiServer(await renderCase(CHART_CASES[0] as (typeof CHART_CASES)[number]), []);
    });
    after(() => server.close());

    it('prints the port-forward and curl commands for the release and namespace', async () => {
      // A server-side dry run against the minimal API endpoint: helm v3 needs a cluster even for --dry-run=client.
      const result = await runHelm(['install', 'shop', CHART_DIR, '--namespace', 'apps', '--dry-run=server', '--disable-openapi-validation', '--kube-apiserver', server.url]);
      expect(result.code, result.stderr).to.equal(0);
      const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
      expect(notes).to.include('kubectl --namespace apps port-forward service/shop-api 5000:5000');
      expect(notes).to.include('curl http://127.0.0.1:5000/ok');
      expect(notes).to.include('curl -X POST http://127.0.0.1:5000/inc');
      expect(notes).to.include('helm test shop --namespace apps --logs\n');
      expect(notes).to.include('Redis: shop-redis:6379');
    });
  });

  it("carries the subcharts' values.yaml in the umbrella's, as hack/tools/umbrella-values.ts writes it", () => {
    expect(umbrellaValues() === readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'), 'values.yaml is stale: run npx tsx hack/tools/umbrella-values.ts').to.equal(true);
  });

  it('lists every value in docs/chart.md as helm-docs writes it from values.yaml now (test:chart-tools also reruns helm-docs)', () => {
    const doc = readFileSync(join(CHART_DIR, 'docs', 'chart.md'), 'utf8');
    const [start, end] = [doc.indexOf('<!-- section:values -->'), doc.indexOf('<!-- /section:values -->')];
    expect(start, 'docs/chart.md has a <!-- section:values --> ... <!-- /section:values --> section').to.be.at.least(0);
    expect(end, 'docs/chart.md closes its values section').to.be.greaterThan(start);
    const rows = [...doc.slice(start, end).matchAll(/^\| ([^ |]+) \| (\w+) \| `(.*)` \| (.*) \|$/gm)].map((m) => `| ${m[1]} | ${m[2]} | \`${m[3]}\` | ${m[4]} |`);
    const values: unknown = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
    const expected = valuesKeys('values.yaml').filter((entry) => !entry.parent).map((entry) => helmDocsRow(entry.path, valueAt(values, entry.path), entry.comment));
    expect(expected.length).to.be.greaterThan(100);
    expect(rows, 'the values table of docs/chart.md is stale: bash hack/tools/values-table.sh').to.deep.equal(expected);
  });

  it("names only values the chart has in the README's values summary, and links to the full table", () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- section:helm -->'), readme.indexOf('<!-- /section:helm -->'));
    const summary = section.slice(section.indexOf('### Values'));
    expect(summary, 'README helm section has a ### Values summary').to.include('(docs/chart.md#values)');
    const known = new Set(VALUES_FILES.flatMap(({ file, prefix }) => valuesKeys(file).map((entry) => `${prefix}${entry.path}`)));
    const named = [...summary.matchAll(/^\| (`[^|]+`) \|/gm)].flatMap((m) => [...(m[1] as string).matchAll(/`([a-zA-Z][\w.]*)`/g)].map((v) => v[1] as string));
    expect(named.length).to.be.at.least(10);
    expect(named.filter((path) => !known.has(path))).to.deep.equal([]);
  });
});
