import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bumpVersion, releaseChangelog, versionProblems } from '../../hack/bump-version.js';
import { REPO_ROOT } from '../k8s/synth.js';

/** A git repository holding the tracked files of this checkout as they are now. */
function copyOfRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reas-version-'));
  execFileSync('bash', ['-c', `git ls-files -z | tar --null -T - -cf - | tar -xf - -C "${dir}"`], { cwd: REPO_ROOT });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['add', '-A'], { cwd: dir });
  return dir;
}

describe('hack/bump-version.ts (npm run bump)', function () {
  this.timeout(60_000);
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let dir: string;
  beforeEach(() => {
    dir = copyOfRepository();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds every version in the repository equal to package.json', () => {
    expect(versionProblems(REPO_ROOT)).to.deep.equal([]);
  });

  it('reports a Chart.yaml appVersion and an image tag that disagree', () => {
    const edit = (file: string, from: string, to: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(from, to));
    edit('charts/api/Chart.yaml', `appVersion: "${version}"`, 'appVersion: "9.9.9"');
    edit('docker-compose.yml', `reas:${version}`, 'reas:9.9.8');
    expect(versionProblems(dir)).to.deep.equal(['charts/api/Chart.yaml: appVersion is 9.9.9', 'docker-compose.yml: reas:9.9.8']);
  });

  it('moves every place to the new version, keeps Redis its own, and releases the Unreleased entries', () => {
    const before = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    bumpVersion(dir, '9.8.7', '2030-01-02');
    expect(versionProblems(dir)).to.deep.equal([]);
    expect((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version).to.equal('9.8.7');
    expect(readFileSync(join(dir, 'charts/redis/Chart.yaml'), 'utf8')).to.match(/^appVersion: "7\.\d+\.\d+"$/m);
    const after = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    expect(after).to.include('## [Unreleased]\n\n### Added\n\n### Changed\n\n### Fixed\n\n### Security\n\n## [9.8.7] - 2030-01-02\n');
    expect(after).to.include(`## [${version}]`);
    expect(after.length).to.be.greaterThan(before.length);
    // Nothing but history still names the old version as an image tag.
    const left = spawnSync('git', ['grep', '-lE', `reas(-test)?:${version.replace(/\./g, '\\.')}([^0-9]|$)`, '--', '.', ':!CHANGELOG.md', ':!BENCHMARKS.md'], { cwd: dir, encoding: 'utf8' });
    expect(left.stdout.trim()).to.equal('');
    expect(left.status, left.stderr).to.equal(1);
  });

  it('refuses a version that is not x.y.z, and the current one', () => {
    expect(() => bumpVersion(dir, 'v1.0', '2030-01-02')).to.throw('not a version (x.y.z): v1.0');
    expect(() => bumpVersion(dir, version, '2030-01-02')).to.throw(`the version is already ${version}`);
  });

  describe('releaseChangelog', () => {
    it('takes the prose before the first subsection into the release entry', () => {
      const text = '# Changelog\n\n## [Unreleased]\n\nChart 0.2.0; app unchanged.\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-11-29\n';
      expect(releaseChangelog(text, '0.2.0', '2026-12-01')).to.equal(
        '# Changelog\n\n## [Unreleased]\n\n### Added\n\n## [0.2.0] - 2026-12-01\n\nChart 0.2.0; app unchanged.\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-11-29\n',
      );
    });
    it('keeps the subsections that have entries and leaves a fresh Unreleased', () => {
      const text = '# Changelog\n\n## [Unreleased]\n\n### Added\n- a thing\n\n### Changed\n\n### Fixed\n- a bug\n\n## [0.1.0] - 2026-11-29\n\n### Added\n- all\n';
      expect(releaseChangelog(text, '0.2.0', '2026-12-01')).to.equal(
        '# Changelog\n\n## [Unreleased]\n\n### Added\n\n### Changed\n\n### Fixed\n\n## [0.2.0] - 2026-12-01\n\n### Added\n- a thing\n\n### Fixed\n- a bug\n\n## [0.1.0] - 2026-11-29\n\n### Added\n- all\n',
      );
    });
  });
});
