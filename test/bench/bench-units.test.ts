import { expect } from 'chai';
import { parseOptions } from '../../bench/lib/options.js';
import { compare, issueTargets, summarize, type Measurement } from '../../bench/lib/report.js';
import { median } from '../../bench/lib/stats.js';

function measurement(round: number, server: string, requestsPerSecond: number, cpuUsPerRequest: number | null): Measurement {
  return { round, route: 'inc', server, requestsPerSecond, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4, peakRssMb: 50, cpuUsPerRequest, requests: 100, errors: 0 };
}

describe('bench median', () => {
  it('takes the middle value of an odd count, in any order', () => {
    expect(median([9, 1, 5])).to.equal(5);
  });

  it('takes the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).to.throw('empty');
  });
});

describe('bench compare', () => {
  const runs = [
    measurement(1, 'service', 900, 110),
    measurement(1, 'baseline', 1000, 55),
    measurement(2, 'baseline', 1000, 50),
    measurement(2, 'service', 500, 100),
    measurement(3, 'service', 800, 80),
    measurement(3, 'baseline', 1000, 60),
  ];

  it('divides req/s within each round and takes the median of those ratios', () => {
    const c = compare(runs, 'inc', 'service', 'baseline');
    expect(c.ratios).to.deep.equal([0.9, 0.5, 0.8]);
    expect(c.medianRatio).to.equal(0.8);
  });

  it('reads CPU per request as the denominator cost over the numerator cost', () => {
    const c = compare(runs, 'inc', 'service', 'baseline');
    expect(c.cpuEfficiencyRatios).to.deep.equal([0.5, 0.5, 0.75]);
    expect(c.medianCpuEfficiencyRatio).to.equal(0.5);
  });

  it('gives no CPU median when a round has no CPU figure', () => {
    const c = compare([...runs.slice(0, 4), measurement(3, 'service', 800, null), runs[5]!], 'inc', 'service', 'baseline');
    expect(c.medianCpuEfficiencyRatio).to.equal(null);
  });

  it('fails naming the server and round that has no measurement', () => {
    expect(() => compare(runs.slice(0, 5), 'inc', 'service', 'baseline')).to.throw('no measurement for baseline inc round 3');
  });
});

describe('bench issueTargets', () => {
  // One round: service 900 req/s, 60 us/req, p99 2; baseline 1000 req/s, 55 us/req; gin 800 req/s, p99 3.
  const runs = [
    { ...measurement(1, 'service', 900, 60), p99Ms: 2 },
    measurement(1, 'baseline', 1000, 55),
    { ...measurement(1, 'gin', 800, 40), p99Ms: 3 },
  ];
  const summaries = new Map(['service', 'baseline', 'gin'].map((s) => [`inc|${s}`, summarize(runs, 'inc', s)]));
  const comparisons = [compare(runs, 'inc', 'service', 'baseline'), compare(runs, 'inc', 'service', 'gin')];
  const targets = issueTargets({ routes: ['inc'], comparisons, summaries, gin: 'gin', readyMs: 600, counterExact: true });
  const byName = (name: string) => targets.find((t) => t.name.startsWith(name));

  it('holds the service to the gin peer on req/s and p99', () => {
    expect(byName('POST /inc req/s service/gin')).to.include({ value: 1.125, met: true });
    expect(byName('POST /inc p99 ms service')).to.include({ value: 2, limit: '<= 3.00', met: true });
  });

  it('holds the service within 0.9x of bare Node on req/s and 1.15x on CPU per request', () => {
    expect(byName('POST /inc req/s service/baseline')).to.include({ value: 0.9, met: true });
    expect(byName('POST /inc CPU us/req service/baseline')).to.include({ value: 1.091, met: true });
  });

  it('reports a start-to-ready over 500 ms as missed and an exact counter as met', () => {
    expect(byName('service start-to-ready')).to.include({ value: 600, met: false });
    expect(byName('counter exact')).to.include({ met: true });
  });

  it('leaves out the gin targets when the peer did not run', () => {
    const without = issueTargets({ routes: ['inc'], comparisons, summaries, gin: undefined, readyMs: 100, counterExact: true });
    expect(without.some((t) => t.name.includes('gin'))).to.equal(false);
  });
});

describe('bench options', () => {
  it('defaults to 64 connections, 1 wrk thread, 3 rounds of 10 s after 3 s of warm-up, on inc, count and ok', () => {
    const o = parseOptions([], '1.2.3');
    expect(o).to.include({ connections: 64, threads: 1, rounds: 3, duration: 10, warmup: 3, readySamples: 5, image: 'reas:1.2.3', enforceTargets: false });
    expect(o).to.have.property('routes').that.deep.equals(['inc', 'count', 'ok']);
  });

  it('reads every option', () => {
    const o = parseOptions(['--duration', '2', '--warmup', '0', '--rounds', '5', '--connections', '8', '--threads', '2', '--routes', 'ok,dec', '--koa-floor', '--enforce-targets'], '0.1.0');
    expect(o).to.include({ duration: 2, warmup: 0, rounds: 5, connections: 8, threads: 2, koaFloor: true, enforceTargets: true });
    expect(o).to.have.property('routes').that.deep.equals(['ok', 'dec']);
  });

  it('refuses a fractional duration, which wrk cannot take', () => {
    expect(() => parseOptions(['--duration', '1.5'], '0.1.0')).to.throw('--duration must be a whole number > 0');
  });

  it('refuses an unknown route', () => {
    expect(() => parseOptions(['--routes', 'inc,reset'], '0.1.0')).to.throw('unknown route "reset"');
  });

  it('refuses more wrk threads than connections', () => {
    expect(() => parseOptions(['--threads', '4', '--connections', '2'], '0.1.0')).to.throw('--threads must not exceed --connections');
  });

  it('runs the gin peer, the scaling phase and the idle-connection check unless told not to', () => {
    expect(parseOptions([], '0.1.0')).to.deep.include({ gin: true, scaling: [16, 64, 256, 1024], scalingRoutes: ['ok', 'count'], idleConnections: 1000 });
    expect(parseOptions(['--no-gin', '--scaling', 'none', '--idle-connections', '0'], '0.1.0')).to.deep.include({ gin: false, scaling: [], idleConnections: 0 });
  });

  it('refuses an unknown flag', () => {
    expect(() => parseOptions(['--reset'], '0.1.0')).to.throw();
  });
});
