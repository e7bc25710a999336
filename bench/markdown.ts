// Renders a results file of `npm run bench` as the Markdown tables BENCHMARKS.md quotes, so the
// figures there are pasted from a real run rather than retyped.
// Usage: npx tsx bench/markdown.ts [bench/results/latest.json]
import { readFileSync } from 'node:fs';
import type { Machine, ImageSize } from './lib/environment.js';
import type { BenchOptions, RouteName } from './lib/options.js';
import { routeLabels, type Comparison, type Measurement, type ScalingPoint, type ServerSummary, type Target } from './lib/report.js';
import type { IdleMemory } from './lib/idle-connections.js';

interface Results {
  startedAt: string;
  command: string;
  options: BenchOptions;
  loadGenerator: string;
  machine: Machine;
  servers: { name: string }[];
  ready: Record<string, { samplesMs: number[]; medianMs: number }>;
  measurements: Measurement[];
  scaling?: ScalingPoint[];
  idleConnections?: Record<string, IdleMemory>;
  summaries: Record<string, ServerSummary>;
  comparisons: Comparison[];
  highWaterMb: Record<string, number | null>;
  image: ImageSize;
  correctness: { before: number; after: number; successfulIncs: number; successfulDecs: number; expectedDelta: number; ok: boolean };
  targets: Target[];
  failures: string[];
}

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

const file = process.argv[2] ?? 'bench/results/latest.json';
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
const m = r.machine;
const out: string[] = [];
out.push(`Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC: \`${r.command}\``);
out.push('');
out.push(
  `Machine: ${m.nproc} vCPU (${m.cpuModel}), ${m.memoryTotalGiB} GiB RAM, ${m.kernel}, Node ${m.node}${r.options.node === undefined ? '' : ` (the bench; the Node servers ran \`${r.options.node}\`)`}, ${m.redis.replace(/ sha=.*$/, '')}; ` +
    `load average at start ${m.loadAverageAtStart.join(' / ')}. Load: ${r.loadGenerator}; ${r.options.rounds} rounds of ${r.options.duration} s per route and server after ${r.options.warmup} s of warm-up each.`,
);
out.push('');
const main = r.servers.slice(0, 2).map((s) => s.name);
const routes = [...new Set(r.measurements.map((x) => x.route))] as RouteName[];
out.push(
  table(
    ['route', 'server', 'req/s (median)', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU µs/req', 'req/s ratio per round', 'median ratio', 'CPU-cost ratio'],
    routes.flatMap((route) =>
      r.servers.map((s) => {
        const sum = r.summaries[`${route}|${s.name}`]!;
        const c = r.comparisons.find((x) => x.route === route && x.numerator === s.name && x.denominator === main[1]);
        return [
          routeLabels[route],
          s.name,
          sum.medianRequestsPerSecond,
          sum.medianP50Ms.toFixed(2),
          sum.medianP99Ms.toFixed(2),
          sum.peakRssMb.toFixed(1),
          sum.medianCpuUsPerRequest?.toFixed(1) ?? 'n/a',
          c === undefined ? '' : c.ratios.map((x) => x.toFixed(3)).join(', '),
          c === undefined ? '' : `**${c.medianRatio.toFixed(3)}**`,
          c?.medianCpuEfficiencyRatio == null ? '' : c.medianCpuEfficiencyRatio.toFixed(3),
        ];
      }),
    ),
  ),
);
const extra = r.comparisons.filter((c) => !(main.includes(c.numerator) && main.includes(c.denominator)));
if (extra.length > 0) {
  out.push('');
  out.push(
    table(
      ['route', 'comparison', 'req/s ratio per round', 'median', 'CPU-cost ratio (median)'],
      extra.map((c) => [routeLabels[c.route], `${c.numerator} / ${c.denominator}`, c.ratios.map((x) => x.toFixed(3)).join(', '), c.medianRatio.toFixed(3), c.medianCpuEfficiencyRatio?.toFixed(3) ?? 'n/a']),
    ),
  );
}
const scaling = r.scaling ?? [];
if (scaling.length > 0) {
  const servers = [...new Set(scaling.map((p) => p.server))];
  out.push('');
  out.push(
    table(
      ['route', 'connections', ...servers.map((s) => `${s} req/s / p99 ms`)],
      [...new Set(scaling.map((p) => p.route))].flatMap((route) =>
        [...new Set(scaling.map((p) => p.connections))].map((connections) => [
          routeLabels[route],
          connections,
          ...servers.map((server) => {
            const p = scaling.find((x) => x.route === route && x.connections === connections && x.server === server);
            return p === undefined ? '' : `${p.requestsPerSecond} / ${p.p99Ms.toFixed(1)}`;
          }),
        ]),
      ),
    ),
  );
}
const idle = Object.entries(r.idleConnections ?? {});
if (idle.length > 0) {
  out.push('');
  out.push(
    table(
      ['server', 'idle keep-alive connections', 'RSS before MB', 'RSS after MB', 'MB per 1000 connections'],
      idle.map(([name, m]) => [name, m.connections, m.rssBeforeMb, m.rssAfterMb, `**${m.mbPer1000}**`]),
    ),
  );
}
out.push('');
out.push(
  `Start to first 200 on /readyz (median of ${r.options.readySamples}): ${Object.keys(r.ready).map((n) => `${n} **${r.ready[n]!.medianMs} ms** (${r.ready[n]!.samplesMs.join(', ')})`).join('; ')}. ` +
    `RSS high-water mark at the end: ${Object.entries(r.highWaterMb).map(([k, v]) => `${k} ${v ?? 'n/a'} MB`).join(', ')}. ` +
    `API image \`${r.image.image}\`: ${'mb' in r.image ? `${r.image.mb} MB` : `not measured (${r.image.notMeasured})`}.`,
);
out.push('');
const c = r.correctness;
out.push(
  `Counter check: ${c.before} → ${c.after}, successful incs ${c.successfulIncs} − decs ${c.successfulDecs} = ${c.expectedDelta}: ${c.ok ? 'consistent' : '**MISMATCH**'}; ` +
    `errors and non-2xx: ${r.failures.length === 0 ? 'none' : r.failures.join('; ')}.`,
);
out.push('');
out.push(table(['target', 'measured', 'limit', 'met'], r.targets.map((t) => [t.name, t.value ?? 'n/a', t.limit, t.met ? 'yes' : '**no**'])));
console.log(out.join('\n'));
