import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { optionalPackages } from '../../hack/build.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface BundledPackage {
  /** name@version */
  readonly id: string;
  /** Its folder, relative to the repository. */
  readonly dir: string;
}

/** Every npm package that has a file in the bundle, from esbuild's metafile. */
function bundledPackages(metafile: Metafile): BundledPackage[] {
  const dirs = new Set(Object.keys(metafile.inputs).flatMap((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []));
  return [...dirs].map((dir) => {
    const manifest = JSON.parse(read(`${dir}/package.json`)) as { name: string; version: string };
    return { id: `${manifest.name}@${manifest.version}`, dir };
  });
}

/** generate-license-file's output as name@version -> the licence text given for it. */
function licenceTexts(text: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const block of text.split(/^-{11}$/m)) {
    const body = /following licen[cs]e:\n\n([\s\S]*)$/.exec(block)?.[1]?.trim();
    for (const [, id] of block.matchAll(/^ - (\S+@\S+)$/gm)) if (id !== undefined && body !== undefined) texts.set(id, body);
  }
  return texts;
}

const normalise = (text: string) => text.replace(/\r\n/g, '\n').replace(/\s+/g, ' ').trim();

// What `npm run build` (hack/build.ts) wrote; pretest builds before the tests run.
describe('the build (hack/build.ts, dist/)', () => {
  let metafile: Metafile;
  before(() => {
    metafile = JSON.parse(read('dist/server.meta.json')) as Metafile;
  });

  it('bundles the service and its production dependencies into dist/server.js alone', () => {
    expect(Object.keys(metafile.outputs).sort()).to.deep.equal(['dist/server.js', 'dist/server.js.map']);
    const names = bundledPackages(metafile).map((p) => p.id.replace(/@[^@]+$/, ''));
    const production = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
    expect(names).to.include.members(production);
    expect(Object.keys(metafile.inputs)).to.include('service/server.ts');
  });

  it('leaves only Node built-ins and the optional packages to be loaded at run time', () => {
    const imports = metafile.outputs['dist/server.js']?.imports ?? [];
    const notBuiltin = new Set(imports.filter((i) => !builtinModules.includes(i.path.replace(/^node:/, ''))).map((i) => i.path));
    expect([...notBuiltin]).to.deep.equal([...optionalPackages]);
  });

  it("carries the licence file of every package in the bundle in dist/third-party-licenses.txt, or what it declares when it ships none", () => {
    const texts = licenceTexts(read('dist/third-party-licenses.txt'));
    const packages = bundledPackages(metafile);
    expect(packages.length).to.be.greaterThan(20);
    const problems = packages.flatMap(({ id, dir }) => {
      const text = texts.get(id);
      if (text === undefined) return [`${id}: not listed`];
      const files = readdirSync(join(root, dir)).filter((f) => /^(licen[cs]e|copying)/i.test(f));
      if (files.length === 0) {
        const declared = (JSON.parse(read(`${dir}/package.json`)) as { license?: string }).license;
        return text === declared ? [] : [`${id}: ships no licence file, declares ${declared}, listed with "${text.slice(0, 40)}"`];
      }
      const shipped = files.map((f) => normalise(read(`${dir}/${f}`)));
      return shipped.some((content) => normalise(text).includes(content)) ? [] : [`${id}: the text listed is not its ${files.join(' or ')}`];
    });
    expect(problems).to.deep.equal([]);
  });

  it('links a source map that leads back to service/*.ts without carrying the sources', () => {
    expect(read('dist/server.js').trimEnd().split('\n').at(-1)).to.equal('//# sourceMappingURL=server.js.map');
    const map = JSON.parse(read('dist/server.js.map')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).to.include('../service/server.ts');
    expect(map.sourcesContent).to.equal(undefined);
  });
});
