// Summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof`) as self time by package and by
// function, so a missed target can be traced to what costs without opening DevTools.
// The service runs as one bundle (dist/server.js): its source map (dist/server.js.map) gives each sample back its
// package or service/ file.
// Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top N]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/** The frame's place in the source: through the source map beside its file when there is one (the bundle's). */
function original(frame: ProfileNode['callFrame']): { url: string; lineNumber: number } {
  if (!frame.url.startsWith('file://')) return frame;
  const file = fileURLToPath(frame.url);
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload) : undefined);
  }
  const entry = sourceMaps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry === undefined || !('originalSource' in entry)) return frame;
  return { url: pathToFileURL(resolve(dirname(file), entry.originalSource)).href, lineNumber: entry.originalLine };
}

/** Where a frame's code lives: an npm package, Node's internals, the service, or a V8 pseudo-frame. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes('/node_modules/.cache/')) return 'dist/ (no source position)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/service/')) return 'service';
  if (url.includes('/dist/')) return 'dist/ (no source position)';
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function percent(part: number, total: number): string {
  return `${((part / total) * 100).toFixed(1)}%`.padStart(6);
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top N]');
  const top = Number(values.top);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    const { functionName } = callFrame;
    if (functionName === '(idle)') continue;
    const { url, lineNumber } = original(callFrame);
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'}  ${url === '' ? '' : `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|service)\//, '$1/')}:${lineNumber + 1}`}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  // Inclusive time: a sample counts for every area on its stack, so "prom-client" includes the Node
  // internals it calls. What a middleware or library costs in total is read here.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { callFrame } = byId.get(cur)!;
      const { functionName } = callFrame;
      if (functionName === '(root)') break;
      const { url } = original(callFrame);
      seen.add(areaOf(url, functionName));
      if (!url.includes('node_modules') && /\/(dist|service|bench)\//.test(url)) seen.add(`${functionName || '(anonymous)'} (${url.replace(/^.*\/(dist|service|bench)\//, '$1/')})`);
    }
    for (const area of seen) inclusive.set(area, (inclusive.get(area) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${percent(busy, total).trim()}); shares below are of busy time`);
  console.log('\nself time by area');
  for (const [area, us] of sorted(areas)) console.log(`${percent(us, busy)}  ${area}`);
  console.log(`\ninclusive time by area and by the app's own functions (top ${top}; a sample counts once per entry on its stack)`);
  for (const [area, us] of sorted(inclusive).slice(0, top)) console.log(`${percent(us, busy)}  ${area}`);
  console.log(`\nself time by function (top ${top})`);
  for (const [fn, us] of sorted(functions).slice(0, top)) console.log(`${percent(us, busy)}  ${fn}`);
}

main();
