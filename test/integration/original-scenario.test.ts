import { expect } from 'chai';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { startApp, type TestApp } from '../helpers/app-server.js';

// The Go/gin service's own test suite, step for step: its clients depend on these exact bodies.
describe('the original service scenario', () => {
  let redis: RedisServer;
  let app: TestApp;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis.dispose());
  beforeEach(async () => {
    app = await startApp({ REDIS_URL: redis.url });
  });
  afterEach(async () => app.close());

  it('answers /ok, /count, /inc x3, /dec, /count with the original bodies in order', async () => {
    const steps: Array<[string, string, string]> = [
      ['GET', '/ok', 'gin OK'],
      ['GET', '/count', '0'],
      ['POST', '/inc', '1'],
      ['POST', '/inc', '2'],
      ['POST', '/inc', '3'],
      ['POST', '/dec', '2'],
      ['GET', '/count', '2'],
    ];
    for (const [method, path, body] of steps) {
      const res = await fetch(app.url + path, { method });
      expect(res.status, `${method} ${path}`).to.equal(200);
      expect(res.headers.get('content-type'), `${method} ${path}`).to.equal('text/plain; charset=utf-8');
      expect(await res.text(), `${method} ${path}`).to.equal(body);
    }
  });
});
