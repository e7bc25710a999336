import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { helmVersion, runHelm } from '../../hack/lib/helm.js';
import { CHART_CASES, CHART_DIR, LINT_KUBE_VERSION, chartTemplate, ciValuesFiles } from './chart-cases.js';

describe('helm chart: lint and package', function () {
  this.timeout(60_000);

  it('runs a real helm of v3.14 or later', async () => {
    const version = await helmVersion();
    const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
    expect(major > 3 || (major === 3 && minor >= 14), `helm ${version}`).to.equal(true);
  });

  it('has a test case for every ci/*-values.yaml and a file for every case', () => {
    expect(ciValuesFiles()).to.deep.equal(CHART_CASES.map((chartCase) => chartCase.file).sort());
  });

  it('passes helm lint --strict for the umbrella and each subchart on its own defaults', async () => {
    const result = await runHelm(['lint', CHART_DIR, '--strict', '--with-subcharts', '--kube-version', LINT_KUBE_VERSION]);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/3 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  for (const chartCase of CHART_CASES) {
    it(`passes helm lint --strict with ${chartCase.file}`, async () => {
      // Umbrella only: --with-subcharts would hand the umbrella's values file to each subchart's schema as well.
      const result = await runHelm(['lint', CHART_DIR, '--strict', '--kube-version', LINT_KUBE_VERSION, '--values', join(CHART_DIR, chartCase.file)]);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  describe('helm package .', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'reas-chart-package-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('packages the chart with its subcharts and nothing of the repository around it', async () => {
      const result = await runHelm(['package', CHART_DIR, '--destination', dir]);
      expect(result.code, result.stderr).to.equal(0);
      const listing = spawnSync('tar', ['-tzf', join(dir, 'reas-0.2.0.tgz')], { encoding: 'utf8' });
      expect(listing.status, `tar: ${listing.stderr}`).to.equal(0);
      const files = listing.stdout.trim().split('\n');
      expect(files).to.include.members([
        'reas/Chart.yaml',
        'reas/README.md',
        'reas/values.yaml',
        'reas/values.schema.json',
        'reas/templates/tests/test-pod.yaml',
        'reas/charts/api/Chart.yaml',
        'reas/charts/api/values.schema.json',
        'reas/charts/redis/templates/statefulset.yaml',
        'reas/charts/redis/values.schema.json',
      ]);
      expect(files.filter((file) => file.endsWith('.md'))).to.deep.equal(['reas/README.md']);
      const strays = files.filter((file) => /^reas\/(node_modules|service|test|k8s|dist|bench|docs|\.git|\.ci)(\/|$)|\.ts$|package(-lock)?\.json$|Dockerfile|^reas\/ct\.yaml$/.test(file));
      expect(strays).to.deep.equal([]);
    });

    it('prints the chart README with helm show readme, and every value with its comment with helm show values', async () => {
      const readme = await runHelm(['show', 'readme', join(dir, 'reas-0.2.0.tgz')]);
      expect(readme.code, readme.stderr).to.equal(0);
      expect(readme.stdout.trimEnd()).to.equal(readFileSync(join(CHART_DIR, 'README.md'), 'utf8').trimEnd());
      const values = await runHelm(['show', 'values', join(dir, 'reas-0.2.0.tgz')]);
      expect(values.code, values.stderr).to.equal(0);
      expect(values.stdout).not.to.match(/^(api|redis): \{\}$/m);
      for (const line of ['  replicaCount: 2', '    repository: reas', '  # -- Replicas of the Deployment', '    repository: redis', '  networkPolicy:', '    ingressFrom: []']) {
        expect(values.stdout).to.include(`\n${line}`);
      }
    });

    it('renders the same objects from the package as from the checkout (no dependency build needed)', async () => {
      const fromDir = await chartTemplate({ release: 'reas' });
      const fromPackage = await chartTemplate({ chart: join(dir, 'reas-0.2.0.tgz'), release: 'reas' });
      const ids = (objects: typeof fromDir) => objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
      expect(ids(fromPackage)).to.deep.equal(ids(fromDir));
    });
  });
});
