/**
 * The release version lives in several files (package.json, the three Chart.yaml, image tags, the cdk8s defaults
 * and their synth, the CHANGELOG): `npm run bump -- 0.2.0` moves all of them at once, and `versionProblems` (run by
 * test/hack/bump-version.test.ts) fails when any of them disagrees with package.json. The charts' own version may run
 * ahead of the app's between releases (it is bumped on every chart change); a release brings it up to the release.
 *   npm run bump -- <x.y.z>     rewrite every place, turn CHANGELOG's Unreleased entries into the x.y.z entry
 *   npm run bump -- --check     list the places that disagree with package.json (exit 1 if any)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SEMVER = /^\d+\.\d+\.\d+$/;
const V = String.raw`(\d+\.\d+\.\d+)`;

/** One place a version is written: the file and a pattern whose groups named `v` hold it (global: every match). */
interface Place {
  file: string;
  pattern: RegExp;
  what: string;
}

/**
 * The charts' own versions: one version for the three charts (and the umbrella's dependency entries), bumped on
 * every chart change (test/chart/chart-version.test.ts), so it may run ahead of the app's between releases; a release
 * moves it to the release version unless it is already past it.
 */
const CHART_PLACES: readonly Place[] = [
  { file: 'Chart.yaml', pattern: new RegExp(String.raw`^version: (?<v>${V.slice(1, -1)})$`, 'gm'), what: 'chart version' },
  { file: 'Chart.yaml', pattern: new RegExp(String.raw`- name: (?:api|redis)\n\s+version: (?<v>${V.slice(1, -1)})`, 'g'), what: 'subchart dependency versions' },
  { file: 'charts/api/Chart.yaml', pattern: new RegExp(String.raw`^version: (?<v>${V.slice(1, -1)})$`, 'gm'), what: 'chart version' },
  { file: 'charts/redis/Chart.yaml', pattern: new RegExp(String.raw`^version: (?<v>${V.slice(1, -1)})$`, 'gm'), what: 'chart version' },
];

const PLACES: readonly Place[] = [
  { file: 'Chart.yaml', pattern: new RegExp(String.raw`^appVersion: "(?<v>${V.slice(1, -1)})"$`, 'gm'), what: 'appVersion' },
  { file: 'charts/api/Chart.yaml', pattern: new RegExp(String.raw`^appVersion: "(?<v>${V.slice(1, -1)})"$`, 'gm'), what: 'appVersion' },
  // The redis subchart's appVersion is Redis's own version, not ours.
  { file: 'Dockerfile', pattern: new RegExp(String.raw`^ARG VERSION=(?<v>${V.slice(1, -1)})$`, 'gm'), what: 'image version label' },
  { file: 'k8s/lib/reas-chart.ts', pattern: new RegExp(String.raw`(?:props\.version \?\? |@default )'(?<v>${V.slice(1, -1)})'`, 'g'), what: 'cdk8s default version' },
  { file: 'k8s/lib/reas-test-chart.ts', pattern: new RegExp(String.raw`(?:props\.version \?\? |@default )'(?<v>${V.slice(1, -1)})'`, 'g'), what: 'cdk8s default version' },
  // The synth's objects of the API (name api) and the test Job (name reas); Redis's carry Redis's version; `npm run synth` writes the same.
  ...['k8s/dist/reas.k8s.yaml', 'k8s/dist/test/reas-test.k8s.yaml'].map((file) => ({
    file,
    pattern: new RegExp(String.raw`app\.kubernetes\.io/name: (?:api|reas)\n(?:\s+app\.kubernetes\.io/[a-z-]+: \S+\n)*?\s+app\.kubernetes\.io/version: (?<v>${V.slice(1, -1)})`, 'g'),
    what: 'cdk8s synth version label',
  })),
];

/** Image tags and chart archive names of reas written anywhere else (docs, compose, scripts, tests). */
const IMAGE_REFERENCE = new RegExp(String.raw`\breas(?:-test)?:(?<v>${V.slice(1, -1)})\b|\breas-(?<t>${V.slice(1, -1)})\.tgz\b`, 'g');
/** Files whose versions are history or deliberate: not rewritten, not checked. */
const NOT_SCANNED = new Set(['CHANGELOG.md', 'BENCHMARKS.md', 'package-lock.json']);

function trackedTextFiles(root: string): string[] {
  return execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !NOT_SCANNED.has(file) && !/\.(gz|tgz|png|sum)$|(^|\/)go\.(mod|sum)$/.test(file));
}

/** Where every image reference must be the current version; unit tests elsewhere use other versions on purpose. */
const mustAgree = (file: string) => !file.startsWith('test/') || file.startsWith('test/cluster/') || file.startsWith('test/containers/');

const read = (root: string, file: string) => readFileSync(join(root, file), 'utf8');

/** Whether x.y.z `a` is older than `b`. */
function olderThan(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! < y![i]!;
  return false;
}

/** Every disagreement with package.json's version, as "file: what is X"; empty when all agree. */
export function versionProblems(root: string): string[] {
  const pkg = JSON.parse(read(root, 'package.json')) as { version: string };
  const version = pkg.version;
  const problems: string[] = [];
  const lock = JSON.parse(read(root, 'package-lock.json')) as { version: string; packages: Record<string, { version?: string }> };
  if (lock.version !== version || lock.packages['']?.version !== version) problems.push(`package-lock.json: version is ${lock.version}/${lock.packages['']?.version}`);
  for (const place of PLACES) {
    const found = [...read(root, place.file).matchAll(place.pattern)].map((m) => m.groups?.v);
    if (found.length === 0) problems.push(`${place.file}: no ${place.what} found`);
    for (const v of found) if (v !== version) problems.push(`${place.file}: ${place.what} is ${v}`);
  }
  for (const file of trackedTextFiles(root).filter(mustAgree)) {
    for (const m of read(root, file).matchAll(IMAGE_REFERENCE)) {
      const v = m.groups?.v ?? m.groups?.t;
      if (v !== version) problems.push(`${file}: ${m[0]}`);
    }
  }
  const chartVersions = CHART_PLACES.flatMap((place) => [...read(root, place.file).matchAll(place.pattern)].map((m) => ({ place, v: m.groups?.v ?? '' })));
  const chartVersion = chartVersions[0]?.v;
  for (const { place, v } of chartVersions) {
    if (v !== chartVersion) problems.push(`${place.file}: ${place.what} is ${v}, not the ${chartVersion} of Chart.yaml`);
  }
  if (chartVersion !== undefined && olderThan(chartVersion, version)) problems.push(`Chart.yaml: chart version ${chartVersion} is older than the app version ${version}`);
  const released = /^## \[(\d+\.\d+\.\d+)\]/m.exec(read(root, 'CHANGELOG.md'))?.[1];
  if (released !== version) problems.push(`CHANGELOG.md: the newest release heading is ${released}`);
  return problems;
}

/** CHANGELOG: the Unreleased entries become the `next` entry (empty subsections dropped); Unreleased starts empty. */
export function releaseChangelog(text: string, next: string, date: string): string {
  const start = text.indexOf('## [Unreleased]');
  if (start === -1) throw new Error('CHANGELOG.md has no "## [Unreleased]" section');
  const bodyStart = text.indexOf('\n', start) + 1;
  const nextHeading = text.indexOf('\n## [', bodyStart);
  const end = nextHeading === -1 ? text.length : nextHeading + 1;
  const sections = text.slice(bodyStart, end).split(/^(?=### )/m);
  const kept = sections.filter((section) => section.startsWith('### ') && section.split('\n').slice(1).some((line) => line.trim() !== ''));
  const names = sections.filter((section) => section.startsWith('### ')).map((section) => section.split('\n')[0]);
  const unreleased = `## [Unreleased]\n\n${names.map((name) => `${name}\n\n`).join('')}`;
  // Prose before the first subsection (what the release is about) goes with the release, not away.
  const preamble = sections[0]?.startsWith('### ') ? '' : (sections[0] ?? '').trim();
  const entry = `## [${next}] - ${date}\n\n${preamble === '' ? '' : `${preamble}\n\n`}${kept.map((section) => `${section.trimEnd()}\n\n`).join('')}`;
  return text.slice(0, start) + unreleased + entry + text.slice(end);
}

/** Rewrites every place from package.json's current version to `next`. */
export function bumpVersion(root: string, next: string, date: string): void {
  if (!SEMVER.test(next)) throw new Error(`not a version (x.y.z): ${next}`);
  const pkg = JSON.parse(read(root, 'package.json')) as { version: string };
  const current = pkg.version;
  if (current === next) throw new Error(`the version is already ${next}`);
  const write = (file: string, text: string) => writeFileSync(join(root, file), text);
  for (const file of ['package.json', 'package-lock.json']) {
    const json = JSON.parse(read(root, file)) as { version: string; packages?: Record<string, { version?: string }> };
    json.version = next;
    if (json.packages?.[''] !== undefined) json.packages[''].version = next;
    write(file, `${JSON.stringify(json, null, 2)}\n`);
  }
  const swap = (match: string, v: string | undefined) => (v === current ? match.replace(current, next) : match);
  for (const file of new Set(PLACES.map((place) => place.file))) {
    let text = read(root, file);
    for (const place of PLACES.filter((p) => p.file === file)) text = text.replace(place.pattern, (match, ...args) => swap(match, (args.at(-1) as { v?: string }).v));
    write(file, text);
  }
  for (const file of new Set(CHART_PLACES.map((place) => place.file))) {
    let text = read(root, file);
    for (const place of CHART_PLACES.filter((p) => p.file === file)) {
      text = text.replace(place.pattern, (match, ...args) => {
        const v = (args.at(-1) as { v?: string }).v;
        return v !== undefined && olderThan(v, next) ? match.replace(v, next) : match;
      });
    }
    write(file, text);
  }
  for (const file of trackedTextFiles(root)) {
    const text = read(root, file);
    const bumped = text.replace(IMAGE_REFERENCE, (match, ...args) => {
      const groups = args.at(-1) as { v?: string; t?: string };
      return swap(match, groups.v ?? groups.t);
    });
    if (bumped !== text) write(file, bumped);
  }
  write('CHANGELOG.md', releaseChangelog(read(root, 'CHANGELOG.md'), next, date));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const next = process.argv[2] ?? '';
  if (next === '--check') {
    const problems = versionProblems(root);
    process.stdout.write(problems.length === 0 ? 'every version agrees with package.json\n' : `these places disagree with package.json:\n${problems.join('\n')}\n`);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  try {
    bumpVersion(root, next, new Date().toISOString().slice(0, 10));
  } catch (error) {
    process.stderr.write(`bump: ${(error as Error).message}\nusage: npm run bump -- <x.y.z>\n`);
    process.exit(1);
  }
  const problems = versionProblems(root);
  if (problems.length > 0) {
    process.stderr.write(`bump: these places still disagree:\n${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`version ${next} everywhere; review CHANGELOG.md and commit\n`);
}
