import { expect } from 'chai';
import { parseOptions } from '../../bench/lib/options.js';
import { compare, type Measurement } from '../../bench/lib/report.js';
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

  it('refuses an unknown flag', () => {
    expect(() => parseOptions(['--reset'], '0.1.0')).to.throw();
  });
});
