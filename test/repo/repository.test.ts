import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SKAFFOLD_VERSION } from '../skaffold/skaffold-binary.js';
import { REPO_ROOT } from '../k8s/synth.js';
import { imageNodeMajor } from '../helpers/image.js';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license: string; engines: { node: string }; scripts: Record<string, string>; devDependencies: Record<string, string> };
const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

const major = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);
/** Versions as numbers, for comparing x.y.z against the engines floor (`>=x.y`). */
const parts = (version: string) => version.replace(/^[>=v]+/, '').split('.').map(Number);
const atLeast = (version: string, floor: string) => {
  const [a, b] = [parts(version), parts(floor)];
  for (let i = 0; i < 3; i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

/** A glob as Renovate's ignorePaths writes them (`**` any directories, `*` within one), as a RegExp over paths. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\/\*\*$|\*)/)
    .map((part) => ({ '**/': '(?:.*/)?', '/**': '(?:/.*)?', '*': '[^/]*' })[part] ?? part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('');
  return new RegExp(`^${body}$`);
}

/** `npm run NAME` and `npm test` in a text, as script names. */
function npmScripts(text: string): string[] {
  return [...text.matchAll(/\bnpm (?:run(?: --silent)? ([a-z][\w:-]*)|(test)\b)/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('repository conventions', () => {
  it('ships the MIT license text that package.json declares', () => {
    expect(pkg.license).to.equal('MIT');
    expect(read('LICENSE')).to.match(/^MIT License\n\nCopyright \(c\) \d{4} /).and.include('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('has SECURITY.md, CONTRIBUTING.md, .editorconfig and a Keep a Changelog CHANGELOG.md', () => {
    for (const file of ['SECURITY.md', 'CONTRIBUTING.md', '.editorconfig']) expect(existsSync(join(REPO_ROOT, file)), file).to.equal(true);
    expect(read('CHANGELOG.md')).to.include('## [Unreleased]').and.match(/^## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/m);
  });

  it('names only npm scripts that exist, in the docs and the workflows', () => {
    const docs = tracked.filter((f) => /^docs\/[^/]+\.md$/.test(f));
    expect(docs).to.include.members(['docs/development.md', 'docs/testing.md', 'docs/chart.md']);
    const files = ['README.md', 'CONTRIBUTING.md', 'BENCHMARKS.md', ...docs, '.ci/run', ...tracked.filter((f) => f.startsWith('.github/workflows/'))];
    const missing = files.flatMap((file) => npmScripts(read(file)).filter((name) => !(name in pkg.scripts)).map((name) => `${file}: npm run ${name}`));
    expect(missing).to.deep.equal([]);
  });

  it('keeps the Node lines in step: .nvmrc, engines, @types/node, CI and the image', () => {
    expect(pkg.engines.node).to.match(/^>=\d+(\.\d+)*$/);
    const lowest = major(pkg.engines.node.slice(2));
    expect(lowest).to.be.at.least(22);
    expect(Number(read('.nvmrc').trim())).to.equal(lowest);
    expect(major(pkg.devDependencies['@types/node'] as string)).to.equal(lowest);
    const ci = read('.ci/run');
    const pinned = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(ci)?.[1] ?? '';
    expect(atLeast(pinned('NODE_LOWEST'), pkg.engines.node)).to.equal(true);
    expect(major(pinned('NODE_LOWEST'))).to.equal(lowest);
    expect(major(pinned('NODE_IMAGE'))).to.equal(imageNodeMajor());
  });

  it("pins the e2e suite's own dependencies (test/e2e/package.json, all the test image installs) as the root does", () => {
    const e2e = JSON.parse(read('test/e2e/package.json')) as { type: string; dependencies: Record<string, string>; devDependencies?: unknown };
    // The root's mocha, chai and tsx run the same suite outside the image (npm run test:e2e).
    expect(Object.keys(e2e.dependencies).sort()).to.deep.equal(['chai', 'mocha', 'tsx']);
    for (const [name, version] of Object.entries(e2e.dependencies)) {
      expect(version, name).to.match(/^\d+\.\d+\.\d+$/);
      expect(version, `${name}: test/e2e/package.json and the root's devDependencies`).to.equal(pkg.devDependencies[name]);
    }
    expect(e2e).to.not.have.property('devDependencies');
    // ESM like the root, so the suite loads the same way in the image and outside it.
    expect(e2e.type).to.equal('module');
    const lock = JSON.parse(read('test/e2e/package-lock.json')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
    expect(lock.packages['']?.dependencies).to.deep.equal(e2e.dependencies);
    for (const [name, version] of Object.entries(e2e.dependencies)) expect(lock.packages[`node_modules/${name}`]?.version, name).to.equal(version);
  });

  it('builds the skaffold version the checks expect', () => {
    expect(read('hack/tools/install-skaffold.sh')).to.include(`VERSION="\${SKAFFOLD_VERSION:-${SKAFFOLD_VERSION}}"`);
  });

  describe('Renovate (.github/renovate.json)', () => {
    const config = JSON.parse(read('.github/renovate.json')) as {
      ignorePaths?: string[];
      customManagers: { managerFilePatterns: string[]; matchStrings: string[]; depNameTemplate?: string }[];
    };

    it('finds, with every custom manager, a version in each file it is meant for', () => {
      const problems: string[] = [];
      for (const manager of config.customManagers) {
        const patterns = manager.managerFilePatterns.map((p) => new RegExp(p.slice(1, -1)));
        const files = tracked.filter((file) => patterns.some((p) => p.test(file)));
        if (files.length === 0) problems.push(`${manager.managerFilePatterns.join(', ')}: no file`);
        const matchers = manager.matchStrings.map((s) => new RegExp(s, 'g'));
        const found = files.flatMap((file) => matchers.flatMap((m) => [...read(file).matchAll(m)].map((x) => x.groups?.currentValue)));
        if (found.length === 0) problems.push(`${manager.matchStrings.join(' | ')}: no version in ${files.join(', ')}`);
        for (const value of found) if (value === undefined || value === '') problems.push(`${manager.matchStrings.join(' | ')}: empty currentValue`);
      }
      expect(problems).to.deep.equal([]);
    });

    it("skips none of the files it keeps current: config:recommended's ignorePaths would skip test/", () => {
      // ignorePaths is not merged with the preset's: the repository's list replaces it, so it must be set.
      expect(config.ignorePaths).to.be.an('array');
      const patterns = (config.ignorePaths ?? []).map(globToRegExp);
      const managed = tracked.filter((file) => /(^|\/)package\.json$/.test(file) || config.customManagers.some((m) => m.managerFilePatterns.some((p) => new RegExp(p.slice(1, -1)).test(file))));
      expect(managed).to.include('test/e2e/package.json').and.include('test/skaffold/skaffold-binary.ts');
      expect(managed.filter((file) => patterns.some((p) => p.test(file)))).to.deep.equal([]);
      expect(patterns.some((p) => p.test('test/e2e/node_modules/mocha/package.json')), 'node_modules stays ignored').to.equal(true);
    });

    it('has a renovate comment above every pinned tool in .ci/ and the skaffold installer', () => {
      for (const file of ['.ci/run', '.ci/install-actionlint.sh', 'hack/tools/install-skaffold.sh']) {
        const text = read(file);
        expect(text, file).to.match(/# renovate: datasource=\S+ depName=\S+\n[A-Z_]+=/);
      }
    });
  });
});
