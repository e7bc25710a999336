import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { directClient, startApp, type TestApp } from '../helpers/app-server.js';

describe('counter routes', () => {
  let server: RedisServer;
  let direct: Redis;
  let app: TestApp;
  before(async () => {
    server = await startRedis();
    direct = directClient(server.url);
  });
  after(async () => {
    direct.disconnect();
    await server.dispose();
  });
  beforeEach(async () => {
    await direct.flushall();
    app = await startApp({ REDIS_URL: server.url });
  });
  afterEach(async () => app.close());

  describe('GET /count', () => {
    it('answers 0 when the key does not exist, and does not create it', async () => {
      const res = await fetch(`${app.url}/count`);
      expect(await res.text()).to.equal('0');
      expect(await direct.exists('count')).to.equal(0);
    });

    it('answers the value Redis holds', async () => {
      await direct.set('count', '41');
      expect(await (await fetch(`${app.url}/count`)).text()).to.equal('41');
    });

    it('keeps every digit of a count beyond 2^53', async () => {
      await direct.set('count', '9007199254740993');
      expect(await (await fetch(`${app.url}/count`)).text()).to.equal('9007199254740993');
      const json = await (await fetch(`${app.url}/count`, { headers: { Accept: 'application/json' } })).text();
      expect(json).to.equal('{"count": 9007199254740993}');
    });

    it('answers JSON to a client that accepts JSON', async () => {
      await direct.set('count', '7');
      const res = await fetch(`${app.url}/count`, { headers: { Accept: 'application/json' } });
      expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(await res.json()).to.deep.equal({ count: 7 });
    });

    it('answers text to a client that prefers text', async () => {
      await direct.set('count', '7');
      const res = await fetch(`${app.url}/count`, { headers: { Accept: 'text/plain, application/json;q=0.5' } });
      expect(await res.text()).to.equal('7');
    });
  });

  describe('POST /inc and POST /dec', () => {
    it('increments and decrements the value in Redis', async () => {
      await direct.set('count', '10');
      expect(await (await fetch(`${app.url}/inc`, { method: 'POST' })).text()).to.equal('11');
      expect(await (await fetch(`${app.url}/dec`, { method: 'POST' })).text()).to.equal('10');
      expect(await (await fetch(`${app.url}/dec`, { method: 'POST' })).text()).to.equal('9');
      expect(await direct.get('count')).to.equal('9');
    });

    it('goes below zero as DECR does', async () => {
      expect(await (await fetch(`${app.url}/dec`, { method: 'POST' })).text()).to.equal('-1');
    });

    it('answers JSON to a client that accepts JSON', async () => {
      const res = await fetch(`${app.url}/inc`, { method: 'POST', headers: { Accept: 'application/json' } });
      expect(await res.json()).to.deep.equal({ count: 1 });
    });

    it('raises the count by exactly 1000 under 1000 parallel increments', async () => {
      await direct.set('count', '5');
      const answers = await Promise.all(
        Array.from({ length: 1000 }, () => fetch(`${app.url}/inc`, { method: 'POST' }).then(async (r) => [r.status, await r.text()] as const)),
      );
      expect(answers.filter(([status]) => status !== 200)).to.deep.equal([]);
      // Each INCR is atomic, so the 1000 answers are exactly 6..1005, each once.
      const values = answers.map(([, body]) => Number(body)).sort((a, b) => a - b);
      expect(values[0]).to.equal(6);
      expect(values[999]).to.equal(1005);
      expect(new Set(values).size).to.equal(1000);
      expect(await direct.get('count')).to.equal('1005');
    });

    it('uses the key named by COUNTER_KEY', async () => {
      const other = await startApp({ REDIS_URL: server.url, COUNTER_KEY: 'visits' });
      try {
        expect(await (await fetch(`${other.url}/inc`, { method: 'POST' })).text()).to.equal('1');
        expect(await direct.get('visits')).to.equal('1');
        expect(await direct.exists('count')).to.equal(0);
      } finally {
        await other.close();
      }
    });
  });

  describe('a key that does not hold an integer', () => {
    for (const [method, path] of [['GET', '/count'], ['POST', '/inc'], ['POST', '/dec']] as const) {
      it(`${method} ${path} answers 409 naming the key and leaves a string value as it was`, async () => {
        await direct.set('count', 'banana');
        const res = await fetch(app.url + path, { method });
        expect(res.status).to.equal(409);
        expect(await res.text()).to.equal('Redis key "count" holds a value that is not an integer; it was left unchanged');
        expect(await direct.get('count')).to.equal('banana');
      });
    }

    it('answers 409 in JSON with the error code to a JSON client', async () => {
      await direct.set('count', '1.5');
      const res = await fetch(`${app.url}/inc`, { method: 'POST', headers: { Accept: 'application/json' } });
      expect(res.status).to.equal(409);
      expect(await res.json()).to.deep.equal({
        error: { code: 'COUNTER_NOT_INTEGER', message: 'Redis key "count" holds a value that is not an integer; it was left unchanged' },
      });
    });

    it('answers 409 when the key holds another type and leaves it as it was', async () => {
      await direct.rpush('count', 'a', 'b');
      for (const [method, path] of [['GET', '/count'], ['POST', '/inc']]) {
        const res = await fetch(app.url + path, { method });
        expect(res.status, path).to.equal(409);
      }
      expect(await direct.lrange('count', 0, -1)).to.deep.equal(['a', 'b']);
    });

    it('answers 409 on overflow and leaves the value as it was', async () => {
      await direct.set('count', '9223372036854775807');
      const res = await fetch(`${app.url}/inc`, { method: 'POST' });
      expect(res.status).to.equal(409);
      expect(await res.text()).to.equal('Redis key "count" would overflow a 64-bit integer; it was left unchanged');
      expect(await direct.get('count')).to.equal('9223372036854775807');
    });
  });
});

describe('a Redis that requires a password', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ password: 'p@ss word' });
  });
  after(async () => server.dispose());

  it('is used with REDIS_PASSWORD', async () => {
    const app = await startApp({ REDIS_URL: server.url, REDIS_PASSWORD: 'p@ss word' });
    try {
      expect(await (await fetch(`${app.url}/inc`, { method: 'POST' })).text()).to.equal('1');
    } finally {
      await app.close();
    }
  });

  it('is used with a password in REDIS_URL', async () => {
    const app = await startApp({ REDIS_URL: `redis://:${encodeURIComponent('p@ss word')}@127.0.0.1:${server.port}` });
    try {
      expect((await fetch(`${app.url}/count`)).status).to.equal(200);
    } finally {
      await app.close();
    }
  });
});
