// `npm run bench`: the built service against a bare node:http + ioredis baseline, same Redis, same load,
// interleaved rounds; see BENCHMARKS.md for what is measured and why.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../hack/lib/redis-server.js';
import { describeMachine, imageSize } from './lib/environment.js';
import { parseOptions, usage, type BenchOptions, type RouteName } from './lib/options.js';
import {
  compare,
  comparisonTable,
  routeLabels,
  routeMethods,
  routeTable,
  scalingTable,
  issueTargets,
  summarize,
  targetTable,
  type Comparison,
  type Measurement,
  type ScalingPoint,
  type ServerSummary,
} from './lib/report.js';
import { profileName, ProcessSampler, readStatusKb, repoRoot, startServer, type RunningServer, type ServerEnv, type ServerSpec } from './lib/server-process.js';
import { median, round } from './lib/stats.js';
import { ensureWrk, runWrk, wrkTimeoutSeconds, type WrkResult } from './lib/wrk.js';
import { HA, startHa, type HaSetup } from './lib/ha.js';
import { ensureGinPeer } from './lib/gin-peer.js';
import { measureIdleConnections, type IdleMemory } from './lib/idle-connections.js';
import { bundleService } from '../hack/build.js';
import { spawnSync } from 'node:child_process';

const SERVICE = 'service';
const BASELINE = 'baseline';
const SERVICE_NO_AP = 'service (no auto-pipelining)';
const BASELINE_NO_AP = 'baseline (no auto-pipelining)';
const KOA_FLOOR = 'koa floor';
const GIN = 'gin';
const GIN_NEW = 'gin (gin.New())';
const BEFORE = 'service (before)';
const scalingTimeoutSeconds = 10;
const COUNTER_KEY = 'reas-bench:count';

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function describeRun(r: WrkResult): string {
  const errors = r.errorCount === 0 ? '' : `  ERRORS ${JSON.stringify(r.errors)}`;
  return `${Math.round(r.requestsPerSecond)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms${errors}`;
}

/** Net effect on the counter of the answered requests of one run. */
function counterDelta(route: RouteName, r: WrkResult): number {
  if (route === 'inc') return r.ok;
  if (route === 'dec') return -r.ok;
  return 0;
}

async function sanityCheck(server: RunningServer): Promise<string[]> {
  const problems: string[] = [];
  const ok = await fetch(`${server.baseUrl}/ok`);
  const okBody = await ok.text();
  if (ok.status !== 200 || okBody !== 'gin OK') problems.push(`${server.spec.name}: GET /ok answered ${ok.status} "${okBody}", expected 200 "gin OK"`);
  const count = await fetch(`${server.baseUrl}/count`);
  const countBody = await count.text();
  if (count.status !== 200 || !/^-?\d+$/.test(countBody)) problems.push(`${server.spec.name}: GET /count answered ${count.status} "${countBody}", expected 200 and a number`);
  return problems;
}

async function measureReadiness(specs: readonly ServerSpec[], env: ServerEnv, samples: number, failures: string[]): Promise<Record<string, { samplesMs: number[]; medianMs: number }>> {
  const result: Record<string, { samplesMs: number[]; medianMs: number }> = {};
  for (const spec of specs) result[spec.name] = { samplesMs: [], medianMs: 0 };
  for (let i = 1; i <= samples; i++) {
    for (const spec of specs) {
      const server = await startServer(spec, { ...env, cpuProfDir: undefined });
      const code = await server.stop();
      if (code !== 0) failures.push(`${spec.name} exited ${code} on SIGTERM (expected 0)`);
      result[spec.name]!.samplesMs.push(round(server.readyMs, 1));
    }
    log(`ready sample ${i}/${samples}: ${specs.map((s) => `${s.name} ${result[s.name]!.samplesMs.at(-1)} ms`).join(', ')}`);
  }
  for (const spec of specs) result[spec.name]!.medianMs = round(median(result[spec.name]!.samplesMs), 1);
  return result;
}

async function main(): Promise<number> {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const parsed = parseOptions(process.argv.slice(2), pkg.version);
  if (parsed === 'help') {
    console.log(usage);
    return 0;
  }
  const opts: BenchOptions = parsed;
  const startedAt = new Date();
  ensureWrk(log);
  if (!existsSync(path.join(repoRoot, 'dist/server.js'))) {
    throw new Error('dist/server.js is missing: run `npm run build` first (`npm run bench` does).');
  }
  const outFile = path.resolve(repoRoot, opts.out);
  const resultsDir = path.dirname(outFile);
  mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, 'servers.log');
  writeFileSync(logFile, '');
  const profileDir = path.join(resultsDir, 'profiles');
  if (opts.cpuProf) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const machine = describeMachine();
  log(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryTotalGiB} GiB, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);

  const specs: ServerSpec[] = [
    { name: SERVICE, kind: 'service', nodePath: opts.node },
    { name: BASELINE, kind: 'baseline', nodePath: opts.node },
  ];
  // The peer users compare with: the Go/gin original, as a typical service runs it and bare.
  const ginBinary = opts.gin ? ensureGinPeer(log) : undefined;
  if (opts.gin) specs.push({ name: GIN, kind: 'gin', ginEngine: 'default' }, { name: GIN_NEW, kind: 'gin', ginEngine: 'new' });
  if (opts.before !== undefined) specs.push({ name: BEFORE, kind: 'service', nodePath: opts.node, dist: path.resolve(opts.before) });
  let compareNodeName: string | undefined;
  if (opts.compareNode !== undefined) {
    const version = spawnSync(opts.compareNode, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (!version) throw new Error(`--compare-node ${opts.compareNode}: not a runnable node binary`);
    compareNodeName = `service (node ${version})`;
    specs.push({ name: compareNodeName, kind: 'service', nodePath: opts.compareNode });
  }
  if (opts.koaFloor) specs.push({ name: KOA_FLOOR, kind: 'koa-floor', nodePath: opts.node });
  if (opts.studyAutoPipelining) {
    // The preload that switches auto-pipelining off patches the ioredis in node_modules, which dist/server.js does
    // not load (it carries its own copy): this row runs a bundle that leaves ioredis out.
    const dist = path.join(repoRoot, 'node_modules/.cache/reas-bench/ioredis-external');
    await bundleService({ outfile: path.join(dist, 'server.js'), external: ['ioredis'] });
    specs.push(
      { name: SERVICE_NO_AP, kind: 'service', autoPipelining: false, nodePath: opts.node, dist },
      { name: BASELINE_NO_AP, kind: 'baseline', autoPipelining: false, nodePath: opts.node },
    );
  }
  const readinessSpecs = specs.filter((s) => [SERVICE, BASELINE, GIN].includes(s.name));

  const failures: string[] = [];
  const running: RunningServer[] = [];
  let redisServer: RedisServer | undefined;
  let client: Redis | undefined;
  let ha: HaSetup | undefined;
  let haBefore = 0;
  let haIncs = 0;
  try {
    // No AOF: the benchmark measures the HTTP layer, not fsync (the helper's default is appendfsync always).
    redisServer = await startRedis({ persistent: false });
    log(`private redis-server at ${redisServer.url}, counter key ${COUNTER_KEY}`);
    const env: ServerEnv = { redisUrl: redisServer.url, counterKey: COUNTER_KEY, logLevel: opts.logLevel, logFile, ginBinary };
    client = new Redis(redisServer.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const before = Number((await client.get(COUNTER_KEY)) ?? '0');

    log(`start-to-ready: ${opts.readySamples} samples per server`);
    const ready = await measureReadiness(readinessSpecs, env, opts.readySamples, failures);

    for (const spec of specs) {
      const server = await startServer(spec, { ...env, cpuProfDir: opts.cpuProf ? profileDir : undefined });
      running.push(server);
      log(`${spec.name} ready on :${server.port} (pid ${server.pid}) in ${round(server.readyMs, 1)} ms`);
      failures.push(...(await sanityCheck(server)));
    }
    if (opts.ha && opts.routes.includes('inc')) {
      log('HA row: a private primary, 2 replicas and 3 Sentinels for the service in Sentinel mode (POST /inc only)');
      ha = await startHa();
      haBefore = await ha.count(COUNTER_KEY);
      const server = await startServer(ha.spec, { ...env, cpuProfDir: opts.cpuProf ? profileDir : undefined });
      running.push(server);
      log(`${ha.spec.name} ready on :${server.port} (pid ${server.pid}) in ${round(server.readyMs, 1)} ms`);
      failures.push(...(await sanityCheck(server)));
    }
    if (failures.length > 0) throw new Error(`sanity checks failed:\n  ${failures.join('\n  ')}`);

    let expectedDelta = 0;
    let incs = 0;
    let decs = 0;
    const account = (label: string, route: RouteName, r: WrkResult, server: string): void => {
      // The HA service counts on its own Redis: checked on its own below.
      if (server === HA) haIncs += r.ok;
      else expectedDelta += counterDelta(route, r);
      if (route === 'inc' && server !== HA) incs += r.ok;
      if (route === 'dec') decs += r.ok;
      if (r.errorCount > 0) failures.push(`${label}: ${r.errorCount} errors ${JSON.stringify(r.errors)}`);
      if (!r.drained) failures.push(`${label}: wrk ended before every connection had stopped sending (a request may have been dropped in flight)`);
    };
    const load = async (server: RunningServer, route: RouteName, seconds: number, connections = opts.connections, timeoutSeconds?: number): Promise<WrkResult> => {
      const checkAlive = (): void => {
        const ended = server.ended();
        // Its own log says whether it was signalled (a graceful "shutting down" line) or crashed.
        if (ended !== undefined) throw new Error(`${server.spec.name} (pid ${server.pid}) ended during the run (${ended}); see ${logFile}`);
      };
      let result: WrkResult;
      try {
        // A route that changes the counter waits out wrk's timeout at the end, so that every answer in
        // flight arrives and is counted, however slow the shared machine is (the counter check is exact).
        const counted = route === 'inc' || route === 'dec';
        result = await runWrk({
          url: `${server.baseUrl}/${route}`,
          method: routeMethods[route],
          seconds: counted ? seconds + (timeoutSeconds ?? wrkTimeoutSeconds) : seconds,
          tailSeconds: counted ? (timeoutSeconds ?? wrkTimeoutSeconds) : undefined,
          connections,
          threads: opts.threads,
          timeoutSeconds,
        });
      } catch (error) {
        checkAlive();
        throw error;
      }
      checkAlive();
      return result;
    };

    if (opts.warmup > 0) {
      for (const route of opts.routes) {
        for (const server of running) {
          if (server.spec.routes !== undefined && !server.spec.routes.includes(route)) continue;
          const r = await load(server, route, opts.warmup);
          account(`warm-up ${routeLabels[route]} ${server.spec.name}`, route, r, server.spec.name);
          log(`warm-up  ${routeLabels[route].padEnd(10)} ${server.spec.name.padEnd(29)} ${describeRun(r)}`);
        }
      }
    }

    const measurements: Measurement[] = [];
    for (let round_ = 1; round_ <= opts.rounds; round_++) {
      // Rotating who goes first each round (S B, B S, ...) cancels a steady drift of the machine.
      const shift = (round_ - 1) % running.length;
      const order = [...running.slice(shift), ...running.slice(0, shift)];
      for (const route of opts.routes) {
        for (const server of order) {
          if (server.spec.routes !== undefined && !server.spec.routes.includes(route)) continue;
          const sampler = new ProcessSampler(server.pid);
          const r = await load(server, route, opts.duration);
          const { peakRssMb, cpuSeconds } = sampler.stop();
          const cpuUsPerRequest = cpuSeconds === undefined || r.requests === 0 ? null : round((cpuSeconds * 1e6) / r.requests, 1);
          account(`round ${round_} ${routeLabels[route]} ${server.spec.name}`, route, r, server.spec.name);
          measurements.push({
            round: round_,
            route,
            server: server.spec.name,
            requestsPerSecond: round(r.requestsPerSecond),
            p50Ms: r.latencyMs.p50,
            p99Ms: r.latencyMs.p99,
            p999Ms: r.latencyMs.p999,
            maxMs: r.latencyMs.max,
            peakRssMb,
            cpuUsPerRequest,
            requests: r.requests,
            errors: r.errorCount,
          });
          log(`round ${round_}/${opts.rounds} ${routeLabels[route].padEnd(10)} ${server.spec.name.padEnd(29)} ${describeRun(r)}  RSS ${peakRssMb} MB  CPU ${cpuUsPerRequest ?? 'n/a'} us/req`);
        }
      }
    }

    // How cost grows with concurrency: one short run per connection count, route and server.
    const scaling: ScalingPoint[] = [];
    for (const connections of opts.scaling) {
      for (const route of opts.scalingRoutes) {
        for (const server of running.filter((r) => [SERVICE, BASELINE, GIN, GIN_NEW].includes(r.spec.name))) {
          const sampler = new ProcessSampler(server.pid);
          // At 1024 connections on 2 shared cores a slow answer is a finding, not a failure: wait up to 10 s.
          const r = await load(server, route, opts.scalingDuration, connections, scalingTimeoutSeconds);
          const { peakRssMb, cpuSeconds } = sampler.stop();
          account(`scaling ${connections} ${routeLabels[route]} ${server.spec.name}`, route, r, server.spec.name);
          scaling.push({
            connections,
            route,
            server: server.spec.name,
            requestsPerSecond: round(r.requestsPerSecond),
            p50Ms: r.latencyMs.p50,
            p99Ms: r.latencyMs.p99,
            peakRssMb,
            cpuUsPerRequest: cpuSeconds === undefined || r.requests === 0 ? null : round((cpuSeconds * 1e6) / r.requests, 1),
            errors: r.errorCount,
          });
          log(`scaling ${String(connections).padStart(4)} conns ${routeLabels[route].padEnd(10)} ${server.spec.name.padEnd(29)} ${describeRun(r)}  RSS ${peakRssMb} MB`);
        }
      }
    }

    const highWaterMb: Record<string, number | null> = {};
    for (const server of running) {
      const kb = readStatusKb(server.pid, 'VmHWM');
      highWaterMb[server.spec.name] = kb === undefined ? null : round(kb / 1024, 1);
    }
    while (running.length > 0) {
      const server = running.pop()!;
      const code = await server.stop();
      if (code !== 0) failures.push(`${server.spec.name} exited ${code} on SIGTERM (expected 0)`);
    }

    // Memory per idle keep-alive connection, each server fresh so load-time heap growth does not mask it.
    const idle: Record<string, IdleMemory> = {};
    if (opts.idleConnections > 0) {
      for (const spec of specs.filter((s) => [SERVICE, BASELINE, GIN, GIN_NEW].includes(s.name))) {
        const server = await startServer(spec, { ...env, cpuProfDir: undefined });
        try {
          idle[spec.name] = await measureIdleConnections(server.pid, server.port, opts.idleConnections);
        } finally {
          const code = await server.stop();
          if (code !== 0) failures.push(`${spec.name} exited ${code} on SIGTERM after the idle-connection check (expected 0)`);
        }
        const m = idle[spec.name]!;
        log(`idle: ${spec.name} RSS ${m.rssBeforeMb} -> ${m.rssAfterMb} MB with ${m.connections} idle keep-alive connections: ${m.mbPer1000} MB per 1000`);
      }
    }

    const after = Number((await client.get(COUNTER_KEY)) ?? '0');
    const correctness = { key: COUNTER_KEY, before, after, delta: after - before, successfulIncs: incs, successfulDecs: decs, expectedDelta, ok: after - before === expectedDelta };
    if (!correctness.ok) failures.push(`counter: changed by ${after - before} but ${incs} incs - ${decs} decs succeeded (expected ${expectedDelta})`);

    let haCorrectness: { before: number; after: number; successfulIncs: number; ok: boolean } | undefined;
    if (ha !== undefined) {
      const haAfter = await ha.count(COUNTER_KEY);
      haCorrectness = { before: haBefore, after: haAfter, successfulIncs: haIncs, ok: haAfter - haBefore === haIncs };
      if (!haCorrectness.ok) failures.push(`HA counter: changed by ${haAfter - haBefore} but ${haIncs} incs succeeded`);
    }

    const summaries = new Map<string, ServerSummary>();
    for (const route of opts.routes) for (const spec of specs) summaries.set(`${route}|${spec.name}`, summarize(measurements, route, spec.name));
    if (ha !== undefined) summaries.set(`inc|${HA}`, summarize(measurements, 'inc', HA));
    const comparisons: Comparison[] = [];
    for (const route of opts.routes) {
      comparisons.push(compare(measurements, route, SERVICE, BASELINE));
      if (opts.gin) comparisons.push(compare(measurements, route, SERVICE, GIN), compare(measurements, route, SERVICE, GIN_NEW), compare(measurements, route, GIN, BASELINE));
      if (opts.before !== undefined) {
        comparisons.push(compare(measurements, route, SERVICE, BEFORE), compare(measurements, route, BEFORE, BASELINE));
        if (opts.gin) comparisons.push(compare(measurements, route, BEFORE, GIN));
      }
      if (compareNodeName !== undefined) comparisons.push(compare(measurements, route, SERVICE, compareNodeName));
      if (opts.koaFloor) comparisons.push(compare(measurements, route, KOA_FLOOR, BASELINE), compare(measurements, route, SERVICE, KOA_FLOOR));
      if (opts.studyAutoPipelining) {
        comparisons.push(
          compare(measurements, route, SERVICE_NO_AP, BASELINE_NO_AP),
          compare(measurements, route, SERVICE, SERVICE_NO_AP),
          compare(measurements, route, BASELINE, BASELINE_NO_AP),
        );
      }
    }

    if (ha !== undefined) comparisons.push(compare(measurements, 'inc', HA, SERVICE));

    const targets = issueTargets({
      routes: opts.routes,
      comparisons,
      summaries,
      gin: opts.gin ? GIN : undefined,
      readyMs: ready[SERVICE]!.medianMs,
      counterExact: correctness.ok,
    });
    if (ha !== undefined) {
      const c = comparisons.find((x) => x.numerator === HA)!;
      targets.push({ name: 'POST /inc req/s HA/standalone service (median ratio)', value: c.medianRatio, limit: '>= 0.6', met: c.medianRatio >= 0.6 });
    }

    const image = imageSize(opts.image);
    const profiles = opts.cpuProf ? specs.map((spec) => path.join(profileDir, profileName(spec))).filter((f) => existsSync(f)) : [];
    const result = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      options: opts,
      loadGenerator: `${machine.wrk}, ${opts.threads} thread(s), ${opts.connections} connections, bench/wrk-load.lua`,
      machine,
      servers: specs,
      ready,
      measurements,
      scaling,
      idleConnections: idle,
      summaries: Object.fromEntries(summaries),
      comparisons,
      highWaterMb,
      image,
      correctness,
      haCorrectness,
      targets,
      profiles,
      failures,
      ok: failures.length === 0,
    };
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);

    const servers = specs.map((s) => s.name);
    console.log(`\n${routeTable(opts.routes, servers, summaries, comparisons, { numerator: SERVICE, denominator: BASELINE })}`);
    if (comparisons.length > opts.routes.length) console.log(`\n${comparisonTable(comparisons)}`);
    if (scaling.length > 0) console.log(`\n${scalingTable(scaling)}`);
    if (Object.keys(idle).length > 0) {
      console.log(`\nidle keep-alive connections (${opts.idleConnections}, fresh process each): ${Object.entries(idle).map(([k, v]) => `${k} ${v.mbPer1000} MB per 1000`).join(', ')}`);
    }
    console.log(`\nstart-to-ready (median of ${opts.readySamples}): ${readinessSpecs.map((s) => `${s.name} ${ready[s.name]!.medianMs} ms`).join(', ')}`);
    console.log(`RSS high-water mark at the end: ${Object.entries(highWaterMb).map(([k, v]) => `${k} ${v ?? 'n/a'} MB`).join(', ')}`);
    console.log(`image ${image.image}: ${'mb' in image ? `${image.mb} MB` : `not measured: ${image.notMeasured}`}`);
    if (ha !== undefined) {
      const s = summaries.get(`inc|${HA}`)!;
      const c = comparisons.find((x) => x.numerator === HA)!;
      console.log(
        `HA mode, POST /inc: ${s.medianRequestsPerSecond} req/s, p99 ${s.medianP99Ms.toFixed(2)} ms; HA/standalone per round ${c.ratios.map((r) => r.toFixed(3)).join(' ')}, median ${c.medianRatio.toFixed(3)}; ` +
          `counter +${haCorrectness!.after - haCorrectness!.before} for ${haIncs} successful incs: ${haCorrectness!.ok ? 'consistent' : 'MISMATCH'}`,
      );
    }
    console.log(`counter: ${before} -> ${after} (${after - before >= 0 ? '+' : ''}${after - before}); successful incs ${incs} - decs ${decs} = ${expectedDelta}: ${correctness.ok ? 'consistent' : 'MISMATCH'}`);
    if (profiles.length > 0) console.log(`CPU profiles: ${profiles.join(', ')} (summarize: npx tsx bench/profile-summary.ts <file>)`);
    console.log(`\n${targetTable(targets)}`);
    console.log(`\nresults: ${path.relative(process.cwd(), outFile)}`);
    const missed = targets.filter((t) => !t.met);
    if (failures.length > 0) {
      console.error(`\nFAILED:\n  ${failures.join('\n  ')}`);
      return 1;
    }
    if (missed.length > 0 && opts.enforceTargets) {
      console.error(`\ntargets missed (--enforce-targets): ${missed.map((t) => t.name).join('; ')}`);
      return 1;
    }
    return 0;
  } finally {
    for (const server of running) await server.stop();
    client?.disconnect();
    await redisServer?.dispose();
    await ha?.dispose();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
