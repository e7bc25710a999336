import { parseArgs } from 'node:util';

export const routeNames = ['inc', 'count', 'ok', 'dec'] as const;
export type RouteName = (typeof routeNames)[number];

export interface BenchOptions {
  /** Seconds of load per (round, route, server). */
  readonly duration: number;
  /** Seconds of load per (route, server) before the measured rounds, results discarded. */
  readonly warmup: number;
  readonly rounds: number;
  readonly connections: number;
  readonly threads: number;
  readonly routes: readonly RouteName[];
  /** Start-to-ready samples per server. */
  readonly readySamples: number;
  /** Also run both servers with ioredis auto-pipelining off, in the same rounds. */
  readonly studyAutoPipelining: boolean;
  /** Also run a minimal Koa + @koa/router server, to split the gap into Koa's cost and the service's. */
  readonly koaFloor: boolean;
  /** Run the gin peer (gin.Default() and gin.New()) beside the Node servers; needs Go. */
  readonly gin: boolean;
  /** node binary for the Node servers; undefined = the one running the bench. */
  readonly node: string | undefined;
  /** Also run the service under this node binary, as "service (node vX)". */
  readonly compareNode: string | undefined;
  /** Also run another build of the service (a dist/ folder), as "service (before)". */
  readonly before: string | undefined;
  /** Connection counts of the scaling phase (one short run per count, server and scaling route); empty = none. */
  readonly scaling: readonly number[];
  readonly scalingRoutes: readonly RouteName[];
  /** Seconds of load per scaling run. */
  readonly scalingDuration: number;
  /** Keep-alive connections opened and left idle against a fresh process of each server, for memory per connection; 0 = skip. */
  readonly idleConnections: number;
  /** Write a V8 CPU profile of the service (one per process) into the results folder. */
  readonly cpuProf: boolean;
  readonly logLevel: string;
  readonly image: string;
  readonly out: string;
  /** Exit non-zero when a target is missed (by default targets are reported, not enforced). */
  readonly enforceTargets: boolean;
  /** Also load POST /inc on the service in Sentinel mode (primary, 2 replicas, 3 Sentinels): the HA row. */
  readonly ha: boolean;
}

const usage = `Usage: npm run bench -- [options]   (or: npx tsx bench/run.ts [options])
  --duration <s>          whole seconds of load per round, route and server (default 10)
  --warmup <s>            whole seconds of discarded load per route and server first (default 3, 0 = none)
  --rounds <n>            interleaved measured rounds (default 3)
  --connections <n>       wrk connections (default 64)
  --threads <n>           wrk threads (default 1: wrk shares 2 cores with the server and Redis)
  --routes <list>         comma list of inc,count,ok,dec (default inc,count,ok)
  --ready-samples <n>     start-to-ready samples per server (default 5)
  --study-auto-pipelining also run both servers with ioredis auto-pipelining off
  --koa-floor             also run bench/koa-floor-server.js (Koa + router, nothing else)
  --no-gin                leave out the gin peer (bench/gin-peer, built with Go into the cache; needs Go)
  --node <path>           node binary for the Node servers (default: the one running the bench)
  --compare-node <path>   also run the service under this node binary ("service (node vX)")
  --before <dist dir>     also run another build of the service ("service (before)"), e.g. the previous commit's dist/
  --scaling <list>        connection counts of the scaling phase (default 16,64,256,1024; none = skip)
  --scaling-routes <list> routes of the scaling phase (default ok,count)
  --scaling-duration <s>  whole seconds per scaling run (default 3)
  --idle-connections <n>  idle keep-alive connections held against each server for memory per connection (default 1000, 0 = skip)
  --cpu-prof              write a CPU profile of every server into profiles/ next to --out
  --log-level <level>     the service's LOG_LEVEL (default info, as shipped)
  --image <ref>           API image whose size is reported when Docker has it (default reas:<version>)
  --out <file>            JSON results (default bench/results/latest.json)
  --enforce-targets       exit 1 when a target is missed
  --skip-ha               leave out the HA row (POST /inc in Sentinel mode against a primary, 2 replicas, 3 Sentinels)
  --help`;

function positive(name: string, raw: string, { integer, allowZero }: { integer: boolean; allowZero?: boolean }): number {
  const value = Number(raw);
  const ok = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!ok) throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number ${allowZero ? '>= 0' : '> 0'}, got "${raw}"`);
  return value;
}

export function parseOptions(argv: readonly string[], version: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      threads: { type: 'string', default: '1' },
      routes: { type: 'string', default: 'inc,count,ok' },
      'ready-samples': { type: 'string', default: '5' },
      'study-auto-pipelining': { type: 'boolean', default: false },
      'koa-floor': { type: 'boolean', default: false },
      'no-gin': { type: 'boolean', default: false },
      node: { type: 'string' },
      'compare-node': { type: 'string' },
      before: { type: 'string' },
      scaling: { type: 'string', default: '16,64,256,1024' },
      'scaling-routes': { type: 'string', default: 'ok,count' },
      'scaling-duration': { type: 'string', default: '3' },
      'idle-connections': { type: 'string', default: '1000' },
      'cpu-prof': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      image: { type: 'string', default: `reas:${version}` },
      out: { type: 'string', default: 'bench/results/latest.json' },
      'enforce-targets': { type: 'boolean', default: false },
      'skip-ha': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const routeList = (option: string, raw: string): RouteName[] => {
    const list = raw.split(',').map((r) => r.trim());
    for (const r of list) {
      if (!(routeNames as readonly string[]).includes(r)) throw new Error(`--${option}: unknown route "${r}" (known: ${routeNames.join(', ')})`);
    }
    return list as RouteName[];
  };
  const routes = routeList('routes', values.routes);
  const scaling = values.scaling === 'none' ? [] : values.scaling.split(',').map((c) => positive('scaling', c.trim(), { integer: true }));
  // wrk takes whole seconds only.
  const duration = positive('duration', values.duration, { integer: true });
  const warmup = positive('warmup', values.warmup, { integer: true, allowZero: true });
  const connections = positive('connections', values.connections, { integer: true });
  const threads = positive('threads', values.threads, { integer: true });
  if (threads > connections) throw new Error('--threads must not exceed --connections');
  return {
    duration,
    warmup,
    rounds: positive('rounds', values.rounds, { integer: true }),
    connections,
    threads,
    routes,
    readySamples: positive('ready-samples', values['ready-samples'], { integer: true }),
    studyAutoPipelining: values['study-auto-pipelining'],
    koaFloor: values['koa-floor'],
    gin: !values['no-gin'],
    node: values.node,
    compareNode: values['compare-node'],
    before: values.before,
    scaling,
    scalingRoutes: routeList('scaling-routes', values['scaling-routes']),
    scalingDuration: positive('scaling-duration', values['scaling-duration'], { integer: true }),
    idleConnections: positive('idle-connections', values['idle-connections'], { integer: true, allowZero: true }),
    cpuProf: values['cpu-prof'],
    logLevel: values['log-level'],
    image: values.image,
    out: values.out,
    enforceTargets: values['enforce-targets'],
    ha: !values['skip-ha'],
  };
}

export { usage };
