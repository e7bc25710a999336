import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { join } from 'node:path';
import { objectKey } from '../k8s/parity.js';
import { parseManifests, type K8sObject } from '../../hack/lib/helm.js';
import { REPO_ROOT } from '../k8s/synth.js';
import { helmBinary } from '../../hack/lib/helm.js';
import { runSkaffold, skaffoldBinary, type SkaffoldResult } from './skaffold-binary.js';

function ok(result: SkaffoldResult, what: string): string {
  expect(result.code, `${what} exited ${result.code}:\n${result.stderr}`).to.equal(0);
  return result.stdout;
}

interface EffectiveConfig {
  apiVersion: string;
  deploy?: { helm?: unknown; kubectl?: unknown };
  manifests?: { rawYaml?: string[] };
}

describe('skaffold CLI', function () {
  this.timeout(180_000);
  let binary: string;
  // Located in a hook, so a missing skaffold fails here with how to get it instead of aborting the whole run.
  before(() => {
    binary = skaffoldBinary();
  });

  it('is skaffold v2.19 or newer, deploying with the helm v4 the chart tests use', async () => {
    const [minor] = /^v2\.(\d+)\./.exec(ok(await runSkaffold(binary, ['version']), 'skaffold version').trim())?.slice(1) ?? [];
    expect(Number(minor), 'skaffold below v2.19 cannot drive helm 4').to.be.at.least(19);
    const helm = spawnSync(helmBinary(), ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    expect(helm.stdout.trim(), helm.stderr).to.match(/^v4\./);
  });

  it('accepts skaffold.yaml in skaffold diagnose, with the Helm deployer by default', async () => {
    const config = parse(ok(await runSkaffold(binary, ['diagnose', '--yaml-only']), 'skaffold diagnose')) as EffectiveConfig;
    expect(config.apiVersion).to.equal('skaffold/v4beta14');
    expect(config.deploy).to.have.property('helm');
    expect(config.deploy).to.not.have.property('kubectl');
  });

  it('deploys with kubectl only in the cdk8s profile', async () => {
    const config = parse(ok(await runSkaffold(binary, ['diagnose', '--yaml-only', '--profile', 'cdk8s']), 'skaffold diagnose -p cdk8s')) as EffectiveConfig;
    expect(config.deploy).to.not.have.property('helm');
    expect(config.deploy).to.have.property('kubectl');
    // diagnose prints the effective config with paths made absolute.
    expect(config.manifests?.rawYaml).to.deep.equal([join(REPO_ROOT, 'k8s/dist/reas.k8s.yaml')]);
  });

  it('builds the dev target with a sync of service/** in the dev profile, the debug target with dev,debug', async () => {
    type Artifacts = { build: { artifacts: { image: string; docker: { target: string }; sync?: { manual?: { src: string; dest: string }[] } }[] }; portForward: { port: number }[] };
    const dev = parse(ok(await runSkaffold(binary, ['diagnose', '--yaml-only', '--profile', 'dev']), 'skaffold diagnose -p dev')) as Artifacts;
    const api = dev.build.artifacts.find((a) => a.image === 'reas');
    expect(api?.docker.target).to.equal('dev');
    expect(api?.sync?.manual).to.deep.equal([{ src: 'service/**', dest: '.' }]);
    const debug = parse(ok(await runSkaffold(binary, ['diagnose', '--yaml-only', '--profile', 'dev,debug']), 'skaffold diagnose -p dev,debug')) as Artifacts;
    expect(debug.build.artifacts.find((a) => a.image === 'reas')?.docker.target).to.equal('debug');
    expect(debug.portForward.map((p) => p.port)).to.deep.equal([5000, 9229]);
  });

  it('renders one API replica without preStop and with a writable root in the dev profile', async () => {
    const out = ok(await runSkaffold(binary, ['render', '--offline', '--digest-source', 'tag', '--profile', 'dev']), 'skaffold render -p dev');
    const api = parseManifests(out).find((o) => objectKey(o) === 'Deployment/reas-api') as unknown as {
      spec: { replicas: number; template: { spec: { containers: { lifecycle?: unknown; securityContext: { readOnlyRootFilesystem: boolean } }[] } } };
    };
    expect(api.spec.replicas).to.equal(1);
    expect(api.spec.template.spec.containers[0]?.lifecycle).to.equal(undefined);
    expect(api.spec.template.spec.containers[0]?.securityContext.readOnlyRootFilesystem).to.equal(false);
  });

  const renders: [string, string[]][] = [
    ['the Helm chart', []],
    ['the cdk8s synth (cdk8s profile)', ['--profile', 'cdk8s']],
  ];
  for (const [what, extra] of renders) {
    it(`renders ${what} offline with the images it builds`, async () => {
      const out = ok(await runSkaffold(binary, ['render', '--offline', '--digest-source', 'tag', ...extra]), `skaffold render ${extra.join(' ')}`);
      const objects: K8sObject[] = parseManifests(out);
      expect(objects.map(objectKey)).to.include.members(['Deployment/reas-api', 'StatefulSet/reas-redis', 'Service/reas-api']);
      const api = objects.find((o) => objectKey(o) === 'Deployment/reas-api') as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
      expect(api.spec.template.spec.containers[0]?.image).to.match(/^reas:/);
    });
  }
});
