import { expect } from 'chai';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { startApp, type TestApp } from '../helpers/app-server.js';

async function timed(url: string, init?: RequestInit): Promise<{ status: number; body: string; ms: number; retryAfter: string | null }> {
  const start = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - start, retryAfter: res.headers.get('retry-after') };
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - start;
}

describe('when Redis fails', () => {
  let redis: RedisServer;
  let app: TestApp;
  beforeEach(async () => {
    redis = await startRedis();
    app = await startApp({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    await app.close();
    await redis.dispose();
  });

  describe('stopped', () => {
    it('answers /inc, /dec and /count with 503 well within the 1 s default bound', async () => {
      await fetch(`${app.url}/inc`, { method: 'POST' });
      await redis.stop();
      for (const [method, path] of [['POST', '/inc'], ['POST', '/dec'], ['GET', '/count']]) {
        const res = await timed(app.url + path, { method });
        expect(res.status, path).to.equal(503);
        expect(res.body, path).to.equal('Redis is unavailable; retry later');
        expect(res.retryAfter, path).to.equal('1');
        expect(res.ms, path).to.be.below(1000);
      }
    });

    it('answers /readyz 503 and /ok 200', async () => {
      await redis.stop();
      const ready = await timed(`${app.url}/readyz`);
      expect(ready.status).to.equal(503);
      expect(ready.body).to.match(/^Not ready: Redis/);
      const ok = await timed(`${app.url}/ok`);
      expect([ok.status, ok.body]).to.deep.equal([200, 'gin OK']);
    });

    it('recovers by itself when Redis comes back, keeping the count', async () => {
      for (let i = 0; i < 3; i++) await fetch(`${app.url}/inc`, { method: 'POST' });
      await redis.stop();
      expect((await fetch(`${app.url}/inc`, { method: 'POST' })).status).to.equal(503);
      await redis.start();
      await eventually(async () => (await fetch(`${app.url}/readyz`)).status === 200, 5000);
      const res = await timed(`${app.url}/inc`, { method: 'POST' });
      expect([res.status, res.body]).to.deep.equal([200, '4']);
    });

    it('counts failures in reas_redis_errors_total', async () => {
      await redis.stop();
      await fetch(`${app.url}/inc`, { method: 'POST' });
      await fetch(`${app.url}/count`);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).to.include('reas_redis_errors_total{kind="unavailable"} 2');
    });
  });

  describe('killed with a command in flight', () => {
    it('answers 503 REDIS_CONNECTION_LOST at once, since the command may have run, then REDIS_UNAVAILABLE', async () => {
      await fetch(`${app.url}/inc`, { method: 'POST' });
      // Paused, Redis has the INCR in its socket but has not answered: the command is provably in flight.
      redis.pause();
      const json = { Accept: 'application/json' };
      const inFlight = timed(`${app.url}/inc`, { method: 'POST', headers: json });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await redis.kill();
      const res = await inFlight;
      expect(res.status).to.equal(503);
      expect(JSON.parse(res.body)).to.deep.equal({
        error: { code: 'REDIS_CONNECTION_LOST', message: 'Redis closed the connection before answering; the command may have been applied' },
      });
      expect(res.retryAfter).to.equal('1');
      // At the disconnect, not at the 1 s deadline.
      expect(res.ms).to.be.below(900);
      const next = await timed(`${app.url}/inc`, { method: 'POST', headers: json });
      expect([next.status, JSON.parse(next.body).error.code]).to.deep.equal([503, 'REDIS_UNAVAILABLE']);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).to.include('reas_redis_errors_total{kind="connection_lost"} 1');
    });
  });

  describe('slow (the process stops answering but keeps its port)', () => {
    afterEach(() => redis.resume());

    it('answers 503 after REDIS_TIMEOUT_MS, not later, and does not queue commands', async () => {
      const bounded = await startApp({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '300' });
      try {
        redis.pause();
        const res = await timed(`${bounded.url}/inc`, { method: 'POST' });
        expect(res.status).to.equal(503);
        expect(res.body).to.equal('Redis did not answer within 300 ms; retry later');
        expect(res.ms).to.be.at.least(290).and.below(800);
      } finally {
        await bounded.close();
      }
    });

    it('answers 503 within the 1 s default bound', async () => {
      redis.pause();
      const res = await timed(`${app.url}/count`);
      expect(res.status).to.equal(503);
      expect(res.ms).to.be.below(1500);
      const ready = await timed(`${app.url}/readyz`);
      expect(ready.status).to.equal(503);
      expect(ready.ms).to.be.below(1500);
    });

    it('serves again once Redis answers, without a restart', async () => {
      redis.pause();
      expect((await fetch(`${app.url}/count`)).status).to.equal(503);
      redis.resume();
      await eventually(async () => (await fetch(`${app.url}/count`)).status === 200, 5000);
      expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    });
  });
});
