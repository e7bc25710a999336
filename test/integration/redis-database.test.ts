import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the database index of REDIS_URL (dist/server.js)', () => {
  let redis: RedisServer;
  const services: ServiceProcess[] = [];
  const clients: Redis[] = [];
  const db = (index: number) => {
    const client = new Redis(`${redis.url}/${index}`, { maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };
  beforeEach(async () => {
    redis = await startRedis({ persistent: false });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await redis.dispose();
  });

  it('counts in the database the URL names', async () => {
    const service = await spawnService({ REDIS_URL: `${redis.url}/3` });
    services.push(service);
    expect((await fetch(`${service.url}/inc`, { method: 'POST' })).status).to.equal(200);
    expect(await db(3).get('count')).to.equal('1');
    expect(await db(0).get('count')).to.equal(null);
  });

  for (const path of ['/abc', '/1/2', '/-1']) {
    it(`exits 1 at start on the path ${path}, naming REDIS_URL`, async () => {
      const service = await spawnService({ REDIS_URL: redis.url + path }, { waitFor: 'nothing' });
      services.push(service);
      expect(await service.exited()).to.equal(1);
      expect(service.output()).to.match(/^reas: invalid configuration: REDIS_URL: must have no path or a database index/m);
    });
  }

  it('is not ready and counts nowhere while Redis refuses the index', async () => {
    // Redis has 16 databases by default: SELECT 99 is refused.
    const service = await spawnService({ REDIS_URL: `${redis.url}/99` }, { waitFor: '/ok' });
    services.push(service);
    const statuses: number[] = [];
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      statuses.push((await fetch(`${service.url}/readyz`)).status, (await fetch(`${service.url}/inc`, { method: 'POST' })).status);
      await sleep(20);
    }
    expect([...new Set(statuses)]).to.deep.equal([503]);
    expect(await db(0).get('count')).to.equal(null);
    expect(service.output()).not.to.include('"msg":"redis ready"');
    expect(service.child.exitCode).to.equal(null);
  });
});
