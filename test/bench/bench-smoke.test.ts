import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const routes = ['inc', 'count', 'ok', 'dec'];

interface BenchResult {
  ok: boolean;
  failures: string[];
  measurements: { route: string; server: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; peakRssMb: number; cpuUsPerRequest: number | null; requests: number; errors: number }[];
  comparisons: { route: string; numerator: string; denominator: string; ratios: number[]; medianRatio: number }[];
  ready: Record<string, { samplesMs: number[]; medianMs: number }>;
  correctness: { before: number; after: number; successfulIncs: number; successfulDecs: number; expectedDelta: number; ok: boolean };
  haCorrectness?: { before: number; after: number; successfulIncs: number; ok: boolean };
  targets: { name: string; value: number | null; met: boolean }[];
  image: { image: string; mb?: number; notMeasured?: string };
}

// The benchmark itself, shrunk to ~1 s per route and server, so that the script cannot rot unnoticed.
// Go-free and cheap: the gin peer, the scaling phase and the idle-connection check are `npm run bench`'s
// (test/bench-gin/ runs them on request).
describe('npm run bench (bench/run.ts)', function () {
  this.timeout(180_000);
  let dir: string;
  let exitCode: number | null;
  let stdout: string;
  let stderr: string;
  let result: BenchResult;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'reas-bench-'));
    const out = path.join(dir, 'result.json');
    const args = ['--import', 'tsx', 'bench/run.ts', '--duration', '1', '--warmup', '0', '--rounds', '1', '--ready-samples', '1', '--routes', routes.join(','), '--no-gin', '--scaling', 'none', '--idle-connections', '0', '--study-auto-pipelining', '--out', out];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    stdout = '';
    stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exitCode = await new Promise((resolve) => child.once('close', resolve));
    result = JSON.parse(await readFile(out, 'utf8')) as BenchResult;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 with no failures recorded', () => {
    expect(exitCode, `stdout:\n${stdout}\nstderr:\n${stderr}`).to.equal(0);
    expect(result.failures).to.deep.equal([]);
    expect(result.ok).to.equal(true);
  });

  it('measures every route on both servers, with and without auto-pipelining, with answers and no errors', () => {
    // Plus the HA row: POST /inc on the service in Sentinel mode.
    expect(result.measurements).to.have.length(routes.length * 4 + 1);
    for (const route of routes) {
      for (const server of ['service', 'baseline', 'service (no auto-pipelining)', 'baseline (no auto-pipelining)']) {
        const m = result.measurements.find((x) => x.route === route && x.server === server);
        expect(m, `${server} ${route}`).to.not.equal(undefined);
        expect(m!.errors, `${server} ${route} errors`).to.equal(0);
        expect(m!.requests, `${server} ${route} requests`).to.be.greaterThan(0);
        expect(m!.requestsPerSecond).to.be.greaterThan(0);
        expect(m!.p50Ms).to.be.greaterThan(0);
        expect(m!.p99Ms).to.be.at.least(m!.p50Ms);
        expect(m!.peakRssMb, `${server} RSS`).to.be.within(10, 2048);
        expect(m!.cpuUsPerRequest, `${server} CPU per request`).to.be.a('number').and.greaterThan(0);
      }
    }
  });

  it('keeps the counter equal to the successful incs minus decs', () => {
    const c = result.correctness;
    expect(c.successfulIncs).to.be.greaterThan(0);
    expect(c.successfulDecs).to.be.greaterThan(0);
    expect(c.expectedDelta).to.equal(c.successfulIncs - c.successfulDecs);
    expect(c.after - c.before).to.equal(c.expectedDelta);
    expect(c.ok).to.equal(true);
  });

  it('reports a service/baseline ratio per route and the start-to-ready time of both servers', () => {
    for (const route of routes) {
      const c = result.comparisons.find((x) => x.route === route && x.numerator === 'service' && x.denominator === 'baseline');
      expect(c, route).to.not.equal(undefined);
      expect(c!.ratios).to.have.length(1);
      expect(c!.medianRatio).to.be.greaterThan(0);
    }
    for (const server of ['service', 'baseline']) {
      expect(result.ready[server]!.samplesMs).to.have.length(1);
      expect(result.ready[server]!.medianMs).to.be.greaterThan(0);
    }
    expect(result.targets.map((t) => t.name)).to.include('service start-to-ready ms (median)');
    expect(result.image.mb !== undefined || result.image.notMeasured !== undefined).to.equal(true);
  });

  it('measures POST /inc in HA mode (Sentinel, 2 replicas) against the standalone service, with its own counter check', () => {
    const ha = 'service (HA: 2 replicas, 3 Sentinels)';
    const m = result.measurements.filter((x) => x.server === ha);
    expect(m.map((x) => x.route)).to.deep.equal(['inc']);
    expect(m[0]!.errors).to.equal(0);
    expect(m[0]!.requests).to.be.greaterThan(0);
    const c = result.comparisons.find((x) => x.route === 'inc' && x.numerator === ha && x.denominator === 'service');
    expect(c!.medianRatio).to.be.greaterThan(0);
    expect(result.targets.map((t) => t.name)).to.include('POST /inc req/s HA/standalone service (median ratio)');
    expect(result.haCorrectness).to.include({ ok: true });
    expect(result.haCorrectness!.after - result.haCorrectness!.before).to.equal(result.haCorrectness!.successfulIncs);
    expect(stdout).to.match(/HA mode, POST \/inc: \d+ req\/s, p99 [\d.]+ ms; .*: consistent/);
  });

  it('prints the summary table and the counter check on stdout', () => {
    expect(stdout).to.include('route / server');
    expect(stdout).to.match(/counter: -?\d+ -> -?\d+ .*: consistent/);
  });
});
