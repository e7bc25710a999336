import { expect } from 'chai';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { startApp, type TestApp } from '../helpers/app-server.js';

describe('GET /metrics', () => {
  let redis: RedisServer;
  let app: TestApp;
  before(async () => {
    redis = await startRedis({ persistent: false });
  });
  after(async () => redis.dispose());
  beforeEach(async () => {
    app = await startApp({ REDIS_URL: redis.url });
  });
  afterEach(async () => app.close());

  it('answers in the Prometheus text format', async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  });

  it('counts requests by method, matched route and status', async () => {
    await fetch(`${app.url}/inc`, { method: 'POST' });
    await fetch(`${app.url}/inc`, { method: 'POST' });
    await fetch(`${app.url}/inc`);
    await fetch(`${app.url}/no/such/page`);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).to.include('reas_http_requests_total{method="POST",route="/inc",status="200"} 2');
    expect(text).to.include('reas_http_requests_total{method="GET",route="/inc",status="405"} 1');
    // Unmatched paths share one label value, so clients cannot grow the series without bound.
    expect(text).to.include('reas_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.to.include('/no/such/page');
  });

  it('times requests in a histogram', async () => {
    await fetch(`${app.url}/count`);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).to.include('reas_http_request_duration_seconds_count{method="GET",route="/count",status="200"} 1');
    // The one request lies in exactly the buckets at or above its own duration, whatever that duration was on
    // this machine (how fast it is belongs to the benchmark, not to a test).
    const series = 'method="GET",route="/count",status="200"';
    const sum = Number(new RegExp(`reas_http_request_duration_seconds_sum\\{${series}\\} (\\S+)`).exec(text)?.[1]);
    expect(sum).to.be.greaterThan(0);
    const buckets = [...text.matchAll(new RegExp(`reas_http_request_duration_seconds_bucket\\{le="([^"]+)",${series}\\} (\\d+)`, 'g'))];
    expect(buckets.map(([, le]) => le)).to.include.members(['0.005', '0.01', '0.1', '1', '+Inf']);
    for (const [, le, count] of buckets) {
      expect(Number(count), `bucket le=${le} for a request of ${sum} s`).to.equal((le === '+Inf' ? Infinity : Number(le)) >= sum ? 1 : 0);
    }
  });

  it('counts Redis errors by kind', async () => {
    await app.redis.set('count', 'x');
    await fetch(`${app.url}/inc`, { method: 'POST' });
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).to.include('reas_redis_errors_total{kind="not_integer"} 1');
    await app.redis.del('count');
  });
});
