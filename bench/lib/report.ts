import type { RouteName } from './options.js';
import { median, round } from './stats.js';

export const routeLabels: Record<RouteName, string> = {
  inc: 'POST /inc',
  count: 'GET /count',
  ok: 'GET /ok',
  dec: 'POST /dec',
};

export const routeMethods: Record<RouteName, 'GET' | 'POST'> = { inc: 'POST', count: 'GET', ok: 'GET', dec: 'POST' };

/** One wrk run of one server on one route in one measured round. */
export interface Measurement {
  readonly round: number;
  readonly route: RouteName;
  readonly server: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly peakRssMb: number;
  /** Server CPU time (user + system) per answered request, in microseconds. */
  readonly cpuUsPerRequest: number | null;
  readonly requests: number;
  readonly errors: number;
}

export interface ServerSummary {
  readonly medianRequestsPerSecond: number;
  readonly medianP50Ms: number;
  readonly medianP99Ms: number;
  readonly worstP99Ms: number;
  readonly peakRssMb: number;
  readonly medianCpuUsPerRequest: number | null;
}

export interface Comparison {
  readonly route: RouteName;
  readonly numerator: string;
  readonly denominator: string;
  /** numerator req/s / denominator req/s, one per round (the two runs are adjacent in time). */
  readonly ratios: readonly number[];
  readonly medianRatio: number;
  /**
   * denominator CPU per request / numerator CPU per request, per round: the same "how many times
   * the denominator's capacity" reading as the req/s ratio, but far less swayed by other load.
   */
  readonly cpuEfficiencyRatios: readonly number[];
  readonly medianCpuEfficiencyRatio: number | null;
}

/** One run of the scaling phase: a server at a connection count on one route. */
export interface ScalingPoint {
  readonly connections: number;
  readonly route: RouteName;
  readonly server: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssMb: number;
  readonly cpuUsPerRequest: number | null;
  readonly errors: number;
}

export interface Target {
  readonly name: string;
  readonly value: number | null;
  readonly limit: string;
  readonly met: boolean;
}

export function summarize(measurements: readonly Measurement[], route: RouteName, server: string): ServerSummary {
  const runs = measurements.filter((m) => m.route === route && m.server === server);
  return {
    medianRequestsPerSecond: round(median(runs.map((m) => m.requestsPerSecond))),
    medianP50Ms: round(median(runs.map((m) => m.p50Ms)), 2),
    medianP99Ms: round(median(runs.map((m) => m.p99Ms)), 2),
    worstP99Ms: round(Math.max(...runs.map((m) => m.p99Ms)), 2),
    peakRssMb: Math.max(...runs.map((m) => m.peakRssMb)),
    medianCpuUsPerRequest: runs.every((m) => m.cpuUsPerRequest !== null) ? round(median(runs.map((m) => m.cpuUsPerRequest!)), 1) : null,
  };
}

export function compare(measurements: readonly Measurement[], route: RouteName, numerator: string, denominator: string): Comparison {
  const rounds = [...new Set(measurements.map((m) => m.round))].sort((a, b) => a - b);
  const find = (r: number, server: string): Measurement => {
    const m = measurements.find((x) => x.round === r && x.route === route && x.server === server);
    if (m === undefined) throw new Error(`no measurement for ${server} ${route} round ${r}`);
    return m;
  };
  const ratios = rounds.map((r) => round(find(r, numerator).requestsPerSecond / find(r, denominator).requestsPerSecond, 3));
  const cpuEfficiencyRatios: number[] = [];
  for (const r of rounds) {
    const num = find(r, numerator).cpuUsPerRequest;
    const den = find(r, denominator).cpuUsPerRequest;
    if (num !== null && den !== null && num > 0) cpuEfficiencyRatios.push(round(den / num, 3));
  }
  return {
    route,
    numerator,
    denominator,
    ratios,
    medianRatio: round(median(ratios), 3),
    cpuEfficiencyRatios,
    medianCpuEfficiencyRatio: cpuEfficiencyRatios.length === rounds.length ? round(median(cpuEfficiencyRatios), 3) : null,
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export function routeTable(
  routes: readonly RouteName[],
  servers: readonly string[],
  summaries: ReadonlyMap<string, ServerSummary>,
  comparisons: readonly Comparison[],
  reference: { numerator: string; denominator: string },
): string {
  const rows: string[][] = [
    ['route / server', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU us/req', `req/s ratio/round vs ${reference.denominator}`, 'median', 'CPU-cost ratio'],
  ];
  for (const route of routes) {
    for (const server of servers) {
      const s = summaries.get(`${route}|${server}`)!;
      const c = comparisons.find((x) => x.route === route && x.numerator === server && x.denominator === reference.denominator);
      rows.push([
        `${routeLabels[route]}  ${server}`,
        String(s.medianRequestsPerSecond),
        s.medianP50Ms.toFixed(2),
        s.medianP99Ms.toFixed(2),
        s.peakRssMb.toFixed(1),
        s.medianCpuUsPerRequest === null ? 'n/a' : s.medianCpuUsPerRequest.toFixed(1),
        c === undefined ? '' : c.ratios.map((r) => r.toFixed(3)).join(' '),
        c === undefined ? '' : c.medianRatio.toFixed(3),
        c?.medianCpuEfficiencyRatio == null ? '' : c.medianCpuEfficiencyRatio.toFixed(3),
      ]);
    }
  }
  return table(rows);
}

export function targetTable(targets: readonly Target[]): string {
  return table([
    ['target', 'measured', 'limit', 'met'],
    ...targets.map((t) => [t.name, t.value === null ? 'n/a' : String(t.value), t.limit, t.met ? 'yes' : 'NO']),
  ]);
}

export function comparisonTable(comparisons: readonly Comparison[]): string {
  return table([
    ['route', 'comparison', 'req/s ratio per round', 'median', 'CPU-cost ratio (median)'],
    ...comparisons.map((c) => [
      routeLabels[c.route],
      `${c.numerator} / ${c.denominator}`,
      c.ratios.map((r) => r.toFixed(3)).join(' '),
      c.medianRatio.toFixed(3),
      c.medianCpuEfficiencyRatio === null ? 'n/a' : c.medianCpuEfficiencyRatio.toFixed(3),
    ]),
  ]);
}

/** req/s and p99 per connection count (rows) and server (columns), one table per route. */
export function scalingTable(points: readonly ScalingPoint[]): string {
  const servers = [...new Set(points.map((p) => p.server))];
  const rows: string[][] = [['route  connections', ...servers.map((s) => `${s} req/s | p99 ms`)]];
  for (const route of [...new Set(points.map((p) => p.route))]) {
    for (const connections of [...new Set(points.map((p) => p.connections))]) {
      rows.push([
        `${routeLabels[route]}  ${connections}`,
        ...servers.map((server) => {
          const p = points.find((x) => x.route === route && x.connections === connections && x.server === server);
          return p === undefined ? '' : `${p.requestsPerSecond} | ${p.p99Ms.toFixed(2)}`;
        }),
      ]);
    }
  }
  return table(rows);
}

export interface TargetInputs {
  readonly routes: readonly RouteName[];
  readonly comparisons: readonly Comparison[];
  readonly summaries: ReadonlyMap<string, ServerSummary>;
  /** Name of the gin peer's row (gin.Default()), or undefined when it was not run. */
  readonly gin: string | undefined;
  readonly readyMs: number;
  readonly counterExact: boolean;
}

/**
 * The targets of issue 15, all as ratios within the same run: ahead of the gin peer on every route
 * (req/s and p99), within 10 % of bare Node on the routes where Redis is the work (req/s, and CPU
 * per request within 1.15x), RSS and start-up bounds, and an exact counter.
 */
export function issueTargets({ routes, comparisons, summaries, gin, readyMs, counterExact }: TargetInputs): Target[] {
  const targets: Target[] = [];
  const find = (route: RouteName, numerator: string, denominator: string) =>
    comparisons.find((x) => x.route === route && x.numerator === numerator && x.denominator === denominator);
  if (gin !== undefined) {
    for (const route of routes) {
      const c = find(route, 'service', gin);
      if (c === undefined) continue;
      targets.push({ name: `${routeLabels[route]} req/s service/gin (median ratio)`, value: c.medianRatio, limit: '>= 1.0', met: c.medianRatio >= 1 });
      const p99 = summaries.get(`${route}|service`)!.medianP99Ms;
      const ginP99 = summaries.get(`${route}|${gin}`)!.medianP99Ms;
      targets.push({ name: `${routeLabels[route]} p99 ms service (gin: ${ginP99.toFixed(2)})`, value: p99, limit: `<= ${ginP99.toFixed(2)}`, met: p99 <= ginP99 });
    }
  }
  for (const route of routes.filter((r) => r === 'inc' || r === 'count')) {
    const c = find(route, 'service', 'baseline');
    if (c === undefined) continue;
    targets.push({ name: `${routeLabels[route]} req/s service/baseline (median ratio)`, value: c.medianRatio, limit: '>= 0.9', met: c.medianRatio >= 0.9 });
    // The per-round CPU ratio is baseline/service; its reciprocal is the service's cost in baselines.
    const cost = c.medianCpuEfficiencyRatio === null ? null : round(1 / c.medianCpuEfficiencyRatio, 3);
    targets.push({ name: `${routeLabels[route]} CPU us/req service/baseline (median ratio)`, value: cost, limit: '<= 1.15', met: cost !== null && cost <= 1.15 });
  }
  const peakRss = Math.max(...routes.map((route) => summaries.get(`${route}|service`)!.peakRssMb));
  targets.push({ name: 'service peak RSS MB under load', value: peakRss, limit: '< 120', met: peakRss < 120 });
  targets.push({ name: 'service start-to-ready ms (median)', value: readyMs, limit: '< 500', met: readyMs < 500 });
  targets.push({ name: 'counter exact over the whole run', value: counterExact ? 1 : 0, limit: '= 1 (exact)', met: counterExact });
  return targets;
}
