import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { optionalPackages } from '../../hack/build.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** name@version of every npm package that has a file in the bundle, from esbuild's metafile. */
function bundledPackages(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const dirs = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (dirs?.[1] === undefined) continue;
    const manifest = JSON.parse(read(`${dirs[1]}/package.json`)) as { name: string; version: string };
    packages.add(`${manifest.name}@${manifest.version}`);
  }
  return packages;
}

// What `npm run build` (hack/build.ts) wrote; pretest builds before the tests run.
describe('the build (hack/build.ts, dist/)', () => {
  const metafile = JSON.parse(read('dist/server.meta.json')) as Metafile;

  it('bundles the service and its production dependencies into dist/server.js alone', () => {
    expect(Object.keys(metafile.outputs).sort()).to.deep.equal(['dist/server.js', 'dist/server.js.map']);
    const packages = [...bundledPackages(metafile)].map((p) => p.replace(/@[^@]+$/, ''));
    const production = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
    expect(packages).to.include.members(production);
    expect(Object.keys(metafile.inputs)).to.include('service/server.ts');
  });

  it('leaves only Node built-ins and the optional packages to be loaded at run time', () => {
    const imports = metafile.outputs['dist/server.js']?.imports ?? [];
    const notBuiltin = new Set(imports.filter((i) => !builtinModules.includes(i.path.replace(/^node:/, ''))).map((i) => i.path));
    expect([...notBuiltin]).to.deep.equal([...optionalPackages]);
  });

  it('carries the licence of every package in the bundle in dist/third-party-licenses.txt', () => {
    const listed = new Set([...read('dist/third-party-licenses.txt').matchAll(/^ - (\S+@\S+)$/gm)].map((m) => m[1]));
    const missing = [...bundledPackages(metafile)].filter((p) => !listed.has(p));
    expect(bundledPackages(metafile).size).to.be.greaterThan(20);
    expect(missing, 'packages in the bundle without a licence text').to.deep.equal([]);
  });

  it('links a source map that leads back to service/*.ts without carrying the sources', () => {
    expect(read('dist/server.js').trimEnd().split('\n').at(-1)).to.equal('//# sourceMappingURL=server.js.map');
    const map = JSON.parse(read('dist/server.js.map')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).to.include('../service/server.ts');
    expect(map.sourcesContent).to.equal(undefined);
  });
});
