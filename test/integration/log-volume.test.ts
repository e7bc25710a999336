import { expect } from 'chai';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('logs during a Redis outage (dist/server.js)', () => {
  let redis: RedisServer;
  const services: ServiceProcess[] = [];
  beforeEach(async () => {
    redis = await startRedis({ persistent: false });
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await redis.dispose();
  });

  it('writes a bounded number of lines for 200 failed requests, and counts every failure', async () => {
    const service = await spawnService({ REDIS_URL: redis.url });
    services.push(service);
    await redis.stop();
    const before = service.output().split('\n').length;
    const statuses: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${service.url}/inc`, { method: 'POST' })));
      statuses.push(...answers.map((a) => a.status));
      await sleep(50);
    }
    expect(statuses.filter((s) => s === 503)).to.have.length(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).to.match(/^reas_redis_errors_total\{kind="unavailable"\} 200$/m);
    expect(await service.stop('SIGTERM')).to.equal(0);
    const lines = service.output().trim().split('\n').slice(before - 1);
    // The outage began, a summary of what followed, and the shutdown: not one line per request.
    expect(lines.length, lines.join('\n')).to.be.at.most(10);
    const summary = lines.map((l) => JSON.parse(l) as { msg: string; code?: string; count?: number }).find((l) => l.code === 'REDIS_UNAVAILABLE' && l.count !== undefined);
    expect(summary?.count, lines.join('\n')).to.equal(199);
  });
});
