/**
 * `npm run build`'s second half (after `tsc` has type-checked service/): bundles the service into one file,
 * dist/server.js, the file that `npm start`, the image, the tests and the benchmark run. One file is ready about
 * 190 ms sooner than service/ compiled file by file over node_modules (BENCHMARKS.md, "Start-up"): Node resolves,
 * reads and compiles one module instead of about 380, and the image carries no node_modules.
 * Beside it: dist/server.js.map (positions only, no sources: `node --enable-source-maps dist/server.js` prints
 * service/*.ts lines in stack traces, and bench/profile-summary.ts attributes samples with it), dist/
 * third-party-licenses.txt (the licence texts of the production dependencies, which the bundle carries and whose
 * licences ask for their notice to travel with them; generate-license-file) and dist/server.meta.json (esbuild's
 * metafile: what went into the bundle; test/hack/build.test.ts checks the licences against it, and esbuild's bundle
 * analyzer reads it).
 *   npm run build
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { generateLicenseFile } from 'generate-license-file';

const root = fileURLToPath(new URL('..', import.meta.url));

// The bundle is ESM, as the package is ("type": "module"); the CommonJS dependencies (koa, ioredis, pino, ...) still
// call require() for Node's built-ins, which an ES module does not have: the banner gives the bundle one.
const banner = "import { createRequire as reasCreateRequire } from 'node:module';\nconst require = reasCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** Where the bundle goes; its source map goes beside it. */
  readonly outfile: string;
  /**
   * Packages left out of the bundle and loaded from node_modules at run time (the outfile must then lie under the
   * repository). Only the benchmark uses this: its preload that switches ioredis's auto-pipelining patches the
   * ioredis in node_modules. @default none
   */
  readonly external?: readonly string[];
}

/**
 * Optional packages a dependency asks for inside try/catch and does without: debug's supports-color (colours for a
 * terminal). The production dependencies do not include it, so the image never had it; left out of the bundle so
 * that a dev dependency in node_modules does not slip in without its licence.
 */
export const optionalPackages: readonly string[] = ['supports-color'];

/**
 * ioredis tells Redis its version (CLIENT SETINFO LIB-VER) from its package.json, which it finds through __dirname
 * at run time. The bundle has neither (an ES module has no __dirname, the image no node_modules), so it would send
 * "error-fetching-version": the version is read here, at build time, instead. The build fails when ioredis changes
 * that code, rather than letting the bundle send the wrong version.
 */
const ioredisVersion: Plugin = {
  name: 'ioredis-version',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]ioredis[\\/]built[\\/]utils[\\/]index\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const { version } = JSON.parse(await readFile(join(path, '../../../package.json'), 'utf8')) as { version: string };
      const lookup = /const filePath = \(0, path_1\.resolve\)\(__dirname, "\.\.", "\.\.", "package\.json"\);\s*const data = await fs_1\.promises\.readFile\(filePath, "utf8"\);/;
      if (!lookup.test(source)) throw new Error(`${path}: ioredis no longer reads its version as hack/build.ts expects (getPackageMeta)`);
      return { contents: source.replace(lookup, `const data = ${JSON.stringify(JSON.stringify({ version }))};`), loader: 'js' };
    });
  },
};

/** Bundles service/server.ts and its dependencies into one ES module for Node; returns esbuild's metafile. */
export async function bundleService(options: BundleOptions): Promise<Metafile> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['service/server.ts'],
    outfile: options.outfile,
    bundle: true,
    external: [...optionalPackages, ...(options.external ?? [])],
    platform: 'node',
    format: 'esm',
    // The oldest Node that package.json's engines allows: esbuild leaves alone all syntax that Node supports.
    target: 'node22.13',
    banner: { js: banner },
    sourcemap: 'linked',
    sourcesContent: false,
    // Names, whitespace and comments stay: a stack trace from the bundle reads like the source, and the licence
    // comments some dependencies carry stay where they are. Minifying started no sooner (BENCHMARKS.md).
    minify: false,
    legalComments: 'inline',
    metafile: true,
    plugins: [ioredisVersion],
    logLevel: 'warning',
  });
  return result.metafile;
}

async function main(): Promise<void> {
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const metafile = await bundleService({ outfile: join(dist, 'server.js') });
  writeFileSync(join(dist, 'server.meta.json'), JSON.stringify(metafile, null, 2) + '\n');
  await generateLicenseFile(join(root, 'package.json'), join(dist, 'third-party-licenses.txt'), { lineEnding: 'lf' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
