import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseManifests, type K8sObject } from '../../hack/lib/helm.js';
import { checkRestrictedPodSecurity } from '../helpers/k8s-structure.js';
import { REPO_ROOT, renderChart, synthMain } from '../k8s/synth.js';

/** The parts of skaffold.yaml these checks read. */
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: {
    local: { push?: boolean; useBuildkit: boolean };
    artifacts: { image: string; docker: { dockerfile: string; target: string } }[];
  };
  deploy: { helm: { releases: { name: string; chartPath: string; namespace: string; setValueTemplates: Record<string, string> }[] } };
  portForward: { resourceType: string; resourceName: string; namespace: string; port: number; localPort: number }[];
  verify: { name: string; container: { image: string; command: string[]; env: { name: string; value: string }[] }; executionMode: Record<string, unknown> }[];
  profiles: {
    name: string;
    patches?: { op: string; path: string; value?: unknown }[];
    manifests?: { rawYaml?: string[]; hooks?: { before?: { host: { command: string[] } }[] } };
  }[];
}

const config = (): SkaffoldConfig => parse(readFileSync(join(REPO_ROOT, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;

/** A dotted value path (`api.image.tag`) in the umbrella chart's values merged with its subcharts' defaults. */
function chartDefault(path: string): unknown {
  const [top, ...rest] = path.split('.') as [string, ...string[]];
  const sub = join(REPO_ROOT, 'charts', top, 'values.yaml');
  let node: unknown = existsSync(sub) ? parse(readFileSync(sub, 'utf8')) : (parse(readFileSync(join(REPO_ROOT, 'values.yaml'), 'utf8')) as Record<string, unknown>)[top];
  for (const key of rest) {
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** skaffold's template variable suffix for an artifact: every non-alphanumeric character becomes `_`. */
const varName = (image: string) => image.replace(/[^A-Za-z0-9]/g, '_');

/**
 * Every `<x>.image.repository` value skaffold sets must be a chart value whose default is an artifact skaffold builds,
 * set from that artifact's IMAGE_REPO, with `<x>.image.tag` (also a chart value) from its IMAGE_TAG and IMAGE_DIGEST
 * (skaffold matches deployed images against `repo:tag@digest`, and drops the `@` when there is no digest).
 */
function imageValueProblems(c: SkaffoldConfig): string[] {
  const problems: string[] = [];
  const templates = c.deploy.helm.releases[0]?.setValueTemplates ?? {};
  const artifacts = c.build.artifacts.map((a) => a.image);
  for (const key of Object.keys(templates).filter((k) => k.endsWith('.image.repository')).sort()) {
    const image = chartDefault(key);
    if (typeof image !== 'string' || !artifacts.includes(image)) {
      problems.push(`${key} defaults to ${String(image)}, which skaffold does not build`);
      continue;
    }
    const prefix = key.slice(0, -'.repository'.length);
    if (typeof chartDefault(`${prefix}.tag`) !== 'string') problems.push(`${prefix}.tag is no chart value`);
    const expected = { [key]: `{{.IMAGE_REPO_${varName(image)}}}`, [`${prefix}.tag`]: `{{.IMAGE_TAG_${varName(image)}}}@{{.IMAGE_DIGEST_${varName(image)}}}` };
    for (const [k, v] of Object.entries(expected)) {
      if (templates[k] !== v) problems.push(`${k} is set to ${String(templates[k])}, not ${v}`);
    }
  }
  return problems;
}

describe('skaffold.yaml', function () {
  this.timeout(60_000);

  it('is one YAML document of the skaffold v4beta14 schema', () => {
    const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'skaffold.yaml'), 'utf8'));
    expect(docs).to.have.length(1);
    expect(docs[0]?.errors).to.deep.equal([]);
    expect(config()).to.include({ apiVersion: 'skaffold/v4beta14', kind: 'Config' });
  });

  it('builds reas and reas-test from Dockerfile targets that exist, leaving push to skaffold', () => {
    const c = config();
    // Unset, skaffold pushes only for clusters that cannot use local images (not kind, not minikube).
    expect(c.build.local).to.not.have.property('push');
    expect(c.build.artifacts.map((a) => a.image)).to.deep.equal(['reas', 'reas-test']);
    for (const artifact of c.build.artifacts) {
      const dockerfile = readFileSync(join(REPO_ROOT, artifact.docker.dockerfile), 'utf8');
      expect(dockerfile, `${artifact.docker.dockerfile} has no stage ${artifact.docker.target}`).to.match(new RegExp(`^FROM \\S+ AS ${artifact.docker.target}$`, 'mi'));
    }
  });

  it('deploys the chart at the repository root into namespace reas', () => {
    const [release] = config().deploy.helm.releases;
    expect(release).to.include({ name: 'reas', chartPath: '.', namespace: 'reas' });
    expect(existsSync(join(REPO_ROOT, release?.chartPath ?? '', 'Chart.yaml'))).to.equal(true);
  });

  it('sets each image value the chart has from the artifact whose name is that value default', () => {
    const templates = config().deploy.helm.releases[0]?.setValueTemplates ?? {};
    expect(Object.keys(templates).filter((k) => k.endsWith('.image.repository')).sort()).to.deep.equal(['api.image.repository', 'test.image.repository']);
    expect(imageValueProblems(config())).to.deep.equal([]);
  });

  it('reports an image value fed from the wrong artifact, and one the chart does not have', () => {
    const wrong = config();
    const templates = wrong.deploy.helm.releases[0]?.setValueTemplates ?? {};
    templates['api.image.tag'] = '{{.IMAGE_TAG_reas_test}}@{{.IMAGE_DIGEST_reas_test}}';
    templates['apii.image.repository'] = '{{.IMAGE_REPO_reas}}';
    expect(imageValueProblems(wrong)).to.deep.equal([
      'api.image.tag is set to {{.IMAGE_TAG_reas_test}}@{{.IMAGE_DIGEST_reas_test}}, not {{.IMAGE_TAG_reas}}@{{.IMAGE_DIGEST_reas}}',
      'apii.image.repository defaults to undefined, which skaffold does not build',
    ]);
  });

  describe('against what it deploys', () => {
    let chart: K8sObject[];
    let synth: Map<string, string>;
    let outdir: string;
    before(async () => {
      outdir = await mkdtemp(join(tmpdir(), 'reas-skaffold-'));
      [chart, synth] = await Promise.all([renderChart('reas', 'reas'), synthMain(outdir)]);
    });
    after(async () => {
      await rm(outdir, { recursive: true, force: true });
    });

    it('port-forwards a Service port that the chart renders to localhost:5000', () => {
      const [forward] = config().portForward;
      expect(forward).to.include({ resourceType: 'service', namespace: 'reas', localPort: 5000 });
      const service = chart.find((o) => o.kind === 'Service' && o.metadata.name === forward?.resourceName) as K8sObject & { spec: { ports: { port: number }[] } };
      expect(service, `no Service ${forward?.resourceName}`).to.not.equal(undefined);
      expect(service.spec.ports.map((p) => p.port)).to.include(forward?.port);
    });

    it('verifies with the test image, the command of the chart test Job and the API Service URL', () => {
      const [verify] = config().verify;
      expect(verify?.executionMode).to.have.property('kubernetesCluster');
      expect(verify?.container.image).to.equal(chartDefault('test.image.repository'));
      expect(verify?.container.command).to.deep.equal(chartDefault('test.command'));
      const baseUrl = new URL(verify?.container.env.find((e) => e.name === 'BASE_URL')?.value ?? '');
      const [service, namespace] = baseUrl.hostname.split('.');
      expect(chart.some((o) => o.kind === 'Service' && o.metadata.name === service)).to.equal(true);
      expect(namespace).to.equal(config().deploy.helm.releases[0]?.namespace);
      expect(Number(baseUrl.port)).to.equal(config().portForward[0]?.port);
    });

    it('deploys in the cdk8s profile only the file the synth hook writes, without the Helm release', () => {
      const profile = config().profiles.find((p) => p.name === 'cdk8s');
      expect(profile?.patches).to.deep.equal([{ op: 'remove', path: '/deploy/helm' }]);
      const hook = profile?.manifests?.hooks?.before?.[0]?.host.command ?? [];
      expect(hook.slice(0, 2)).to.deep.equal(['npm', 'run']);
      const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      expect(scripts).to.have.property(hook[hook.length - 1] as string);
      const files = profile?.manifests?.rawYaml ?? [];
      expect(files).to.deep.equal(['k8s/dist/reas.k8s.yaml']);
      expect([...synth.keys()].map((f) => `k8s/dist/${f}`)).to.include.members(files);
    });

    it('builds under the names the synthesized manifests use, so skaffold can replace them', () => {
      const images = parseManifests(synth.get('reas.k8s.yaml') ?? '')
        .flatMap((o) => ((o as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec?.template?.spec?.containers ?? []))
        .map((c) => c.image.split(':')[0]);
      const artifacts = config().build.artifacts.map((a) => a.image);
      expect(images).to.include('reas');
      for (const image of images) expect(['redis', ...artifacts], `${image} is neither built nor the pinned Redis`).to.include(image);
    });
  });

  describe('dev and debug profiles', () => {
    const profile = (name: string) => config().profiles.find((p) => p.name === name);
    const patch = (name: string, path: string) => profile(name)?.patches?.find((p) => p.path === path)?.value;
    const dockerfile = () => readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    /** The lines of one Dockerfile stage, from its FROM to the next. */
    const stage = (name: string) => {
      const lines = dockerfile().split('\n');
      const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`).test(l));
      expect(start, `Dockerfile has no stage ${name}`).to.be.at.least(0);
      const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
      return lines.slice(start, end === -1 ? undefined : end);
    };

    it('builds the API from the dev and debug stages, which run the TypeScript under tsx watch', () => {
      expect(patch('dev', '/build/artifacts/0/docker/target')).to.equal('dev');
      expect(patch('debug', '/build/artifacts/0/docker/target')).to.equal('debug');
      expect(config().build.artifacts[0]?.image).to.equal('reas');
      const cmd = (name: string) => JSON.parse(stage(name).find((l) => l.startsWith('CMD '))?.slice(4) ?? '[]') as string[];
      expect(cmd('dev')).to.deep.equal(['node', 'node_modules/tsx/dist/cli.mjs', 'watch', '--clear-screen=false', 'service/server.ts']);
      // The inspector listens on the pod's loopback only: a port-forward reaches it, the cluster network does not.
      expect(cmd('debug')).to.include('--inspect=127.0.0.1:9229');
      expect(stage('debug')[0]).to.equal('FROM dev AS debug');
    });

    it('syncs service/** to where the dev stage keeps the source, owned by the user the chart runs it as', () => {
      expect(patch('dev', '/build/artifacts/0/sync')).to.deep.equal({ manual: [{ src: 'service/**', dest: '.' }] });
      const lines = stage('dev');
      const workdir = [...dockerfile().split('\n')].filter((l) => l.startsWith('WORKDIR ')).map((l) => l.slice(8));
      expect(new Set(workdir)).to.deep.equal(new Set(['/app']));
      const user = String(chartDefault('api.podSecurityContext.runAsUser'));
      expect(lines).to.include(`COPY --chown=${user}:${String(chartDefault('api.podSecurityContext.runAsGroup'))} service ./service`);
      expect(lines).to.include(`USER ${user}:${String(chartDefault('api.podSecurityContext.runAsGroup'))}`);
    });

    it('forwards the inspector port of the API Deployment in the debug profile', () => {
      expect(patch('debug', '/portForward/-')).to.deep.equal({ resourceType: 'deployment', resourceName: 'reas-api', namespace: 'reas', port: 9229, localPort: 9229 });
    });

    it('deploys one replica without preStop sleep and a writable root, still non-root under the restricted standard', async () => {
      const values = patch('dev', '/deploy/helm/releases/0/setValues') as Record<string, unknown>;
      for (const key of Object.keys(values)) expect(chartDefault(key), `${key} is no chart value`).to.not.equal(undefined);
      const set = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
      const objects = await renderChart('reas', 'reas', [], set);
      const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'reas-api') as unknown as {
        spec: { replicas: number; template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: { lifecycle?: unknown; securityContext: Record<string, unknown> }[] } } };
      };
      expect(api.spec.replicas).to.equal(1);
      expect(api.spec.template.spec.containers[0]?.lifecycle).to.equal(undefined);
      expect(api.spec.template.spec.securityContext.runAsNonRoot).to.equal(true);
      expect(api.spec.template.spec.containers[0]?.securityContext.readOnlyRootFilesystem).to.equal(false);
      // The project's read-only-root rule is the one thing the dev profile gives up; every restricted rule holds.
      const issues = checkRestrictedPodSecurity(objects);
      expect(issues, issues.join('\n')).to.have.length(1);
      expect(issues[0]).to.match(/reas-api: container api: readOnlyRootFilesystem is not true$/);
    });
  });

  it('names only profiles that exist in its usage comments', () => {
    const text = readFileSync(join(REPO_ROOT, 'skaffold.yaml'), 'utf8');
    const mentioned = [...text.matchAll(/-p (\S+)/g)].flatMap((m) => (m[1] ?? '').split(','));
    expect(mentioned.length).to.be.greaterThan(0);
    for (const name of mentioned) expect(config().profiles.map((p) => p.name)).to.include(name);
  });
});
