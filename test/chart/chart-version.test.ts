import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { chartDigest } from '../../hack/tools/chart-digest.js';
import { CHART_DIR } from './chart-cases.js';

type Released = Record<string, Record<string, string>>;

const CHARTS: readonly { name: string; dir: string }[] = [
  { name: 'reas', dir: '.' },
  { name: 'api', dir: 'charts/api' },
  { name: 'redis', dir: 'charts/redis' },
];

const semver = (version: string): number[] => version.split(/[.+-]/).slice(0, 3).map(Number);
const newer = (a: string, b: string): boolean => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

describe('helm chart: versions', function () {
  this.timeout(60_000);
  const released = JSON.parse(readFileSync(join(CHART_DIR, 'test/chart/released-charts.json'), 'utf8')) as Released;
  const changelog = readFileSync(join(CHART_DIR, 'CHANGELOG.md'), 'utf8');

  for (const { name, dir } of CHARTS) {
    describe(`${name} (${dir})`, () => {
      const chart = parse(readFileSync(join(CHART_DIR, dir, 'Chart.yaml'), 'utf8')) as { version: string; name: string };

      it('keeps a released version unchanged, or has a version above every released one', async () => {
        expect(chart.name).to.equal(name);
        const recorded = released[name]?.[chart.version];
        if (recorded !== undefined) {
          expect(await chartDigest(join(CHART_DIR, dir)), `${name} ${chart.version} is released: bump its version in ${dir}/Chart.yaml`).to.equal(recorded);
        } else {
          for (const version of Object.keys(released[name] ?? {})) expect(newer(chart.version, version), `${chart.version} > ${version}`).to.equal(true);
        }
      });
    });
  }

  it("names the umbrella's version in the CHANGELOG (a section per released version, the next one in Unreleased)", () => {
    const umbrella = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { version: string };
    for (const version of Object.keys(released.reas ?? {})) expect(changelog).to.include(`## [${version}]`);
    if (released.reas?.[umbrella.version] === undefined) {
      const unreleased = changelog.slice(changelog.indexOf('## [Unreleased]'), changelog.indexOf('\n## [', changelog.indexOf('## [Unreleased]') + 1));
      expect(unreleased).to.match(new RegExp(`chart ${umbrella.version.replaceAll('.', '\\.')}`, 'i'));
    }
  });

  it('keeps in test/fixtures/charts exactly the released charts that the cluster upgrade check installs', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'reas-released-'));
    try {
      const untar = spawnSync('tar', ['-xzf', join(CHART_DIR, 'test/fixtures/charts/reas-0.1.0.tgz'), '-C', scratch], { encoding: 'utf8' });
      expect(untar.status, untar.stderr).to.equal(0);
      expect(await chartDigest(join(scratch, 'reas'))).to.equal(released.reas?.['0.1.0']);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('lists the subcharts at their own versions in the umbrella dependencies', () => {
    const umbrella = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { dependencies: { name: string; version: string }[] };
    for (const dependency of umbrella.dependencies) {
      const sub = parse(readFileSync(join(CHART_DIR, 'charts', dependency.name, 'Chart.yaml'), 'utf8')) as { version: string };
      expect(dependency.version, dependency.name).to.equal(sub.version);
    }
  });
});
