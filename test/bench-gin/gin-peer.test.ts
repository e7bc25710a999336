import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const servers = ['service', 'baseline', 'gin', 'gin (gin.New())'];

interface BenchResult {
  failures: string[];
  measurements: { route: string; server: string; requests: number; errors: number; cpuUsPerRequest: number | null }[];
  comparisons: { route: string; numerator: string; denominator: string; medianRatio: number }[];
  scaling: { connections: number; route: string; server: string; requests?: number; requestsPerSecond: number; errors: number }[];
  idleConnections: Record<string, { connections: number; mbPer1000: number }>;
  ready: Record<string, { medianMs: number }>;
  targets: { name: string; value: number | null }[];
}

// Opt-in (`npm run test:bench-gin`; needs Go): `npm run bench` with its gin peer, shrunk to ~1 s per run,
// so the peer's build, the scaling phase and the idle-connection check cannot rot unnoticed.
describe('npm run bench with the gin peer', function () {
  // The first run builds the peer from its Go modules: minutes on 2 cores.
  this.timeout(900_000);
  let exitCode: unknown;
  let output = '';
  let result: BenchResult;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'reas-bench-gin-'));
    const out = path.join(dir, 'result.json');
    const args = ['--import', 'tsx', 'bench/run.ts', '--duration', '1', '--warmup', '0', '--rounds', '1', '--ready-samples', '1', '--routes', 'inc,ok'];
    args.push('--scaling', '16,256', '--scaling-duration', '1', '--scaling-routes', 'count', '--idle-connections', '100', '--out', out);
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exitCode = await new Promise((resolve) => child.once('close', resolve));
    result = JSON.parse(await readFile(out, 'utf8')) as BenchResult;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 with no failures, the counter exact', () => {
    expect(exitCode, output).to.equal(0);
    expect(result.failures).to.deep.equal([]);
  });

  it('measures the gin peer as gin.Default() and gin.New() beside the Node servers, with answers and no errors', () => {
    for (const route of ['inc', 'ok']) {
      for (const server of servers) {
        const m = result.measurements.find((x) => x.route === route && x.server === server);
        expect(m, `${server} ${route}`).to.not.equal(undefined);
        expect(m!.requests).to.be.greaterThan(0);
        expect(m!.errors).to.equal(0);
        expect(m!.cpuUsPerRequest).to.be.a('number').and.greaterThan(0);
      }
      for (const gin of ['gin', 'gin (gin.New())']) {
        expect(result.comparisons.find((c) => c.route === route && c.numerator === 'service' && c.denominator === gin)?.medianRatio).to.be.greaterThan(0);
      }
    }
    expect(result.ready.gin!.medianMs).to.be.greaterThan(0);
  });

  it('reports the issue targets against the gin peer', () => {
    const names = result.targets.map((t) => t.name);
    expect(names).to.include('POST /inc req/s service/gin (median ratio)');
    expect(names.some((n) => n.startsWith('GET /ok p99 ms service (gin: '))).to.equal(true);
    expect(output).to.include('target');
  });

  it('runs every server at every scaling connection count, and measures memory per idle connection', () => {
    for (const connections of [16, 256]) {
      for (const server of servers) {
        const p = result.scaling.find((x) => x.connections === connections && x.server === server);
        expect(p, `${server} at ${connections}`).to.not.equal(undefined);
        expect(p!.requestsPerSecond).to.be.greaterThan(0);
        expect(p!.errors).to.equal(0);
      }
    }
    for (const server of servers) {
      expect(result.idleConnections[server], server).to.include({ connections: 100 });
      expect(result.idleConnections[server]!.mbPer1000).to.be.a('number');
    }
  });
});
