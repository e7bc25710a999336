import { expect } from 'chai';
import { request } from 'node:http';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { startApp, type TestApp } from '../helpers/app-server.js';

/** A raw request, for what fetch cannot send (chunked bodies of a chosen size, odd methods). */
function rawRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; chunks?: Buffer[] },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('HTTP errors', () => {
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

  describe('an unknown route', () => {
    it('answers 404 with a text message', async () => {
      const res = await fetch(`${app.url}/nope`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(await res.text()).to.equal('No route for GET /nope');
    });

    it('answers 404 in JSON to a JSON client', async () => {
      const res = await fetch(`${app.url}/nope`, { headers: { Accept: 'application/json' } });
      expect(res.status).to.equal(404);
      expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(await res.json()).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'No route for GET /nope' } });
    });
  });

  describe('a wrong method', () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/inc', 'POST'],
      ['PUT', '/dec', 'POST'],
      ['POST', '/count', 'HEAD, GET'],
      ['DELETE', '/ok', 'HEAD, GET'],
    ];
    for (const [method, path, allow] of cases) {
      it(`answers 405 to ${method} ${path} with Allow: ${allow}`, async () => {
        const res = await fetch(app.url + path, { method });
        expect(res.status).to.equal(405);
        expect(res.headers.get('allow')).to.equal(allow);
        expect(await res.text()).to.equal(`${method} is not allowed on ${path}; allowed: ${allow}`);
      });
    }

    it('answers 405 in JSON to a JSON client', async () => {
      const res = await fetch(`${app.url}/inc`, { headers: { Accept: 'application/json' } });
      expect(res.status).to.equal(405);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('METHOD_NOT_ALLOWED');
    });

    it('does not change the count', async () => {
      await fetch(`${app.url}/inc`, { method: 'GET' });
      await fetch(`${app.url}/dec`, { method: 'PUT' });
      expect(await (await fetch(`${app.url}/count`)).text()).to.equal(await app.redis.get('count').then((v) => v ?? '0'));
    });

    it('answers 501 to a method the server does not implement', async () => {
      const res = await rawRequest(`${app.url}/inc`, { method: 'PROPFIND' });
      expect(res.status).to.equal(501);
      expect(res.body).to.equal('Method PROPFIND is not implemented');
    });

    it('answers OPTIONS with the allowed methods', async () => {
      const res = await fetch(`${app.url}/inc`, { method: 'OPTIONS' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('allow')).to.equal('POST');
    });
  });

  describe('a request body', () => {
    it('is accepted and ignored when small', async () => {
      const before = Number(await (await fetch(`${app.url}/count`)).text());
      const res = await fetch(`${app.url}/inc`, { method: 'POST', body: 'x'.repeat(1024) });
      expect(res.status).to.equal(200);
      expect(Number(await res.text())).to.equal(before + 1);
    });

    it('answers 413 when Content-Length is over the limit, and does not count', async () => {
      const before = await (await fetch(`${app.url}/count`)).text();
      const res = await fetch(`${app.url}/inc`, { method: 'POST', body: 'x'.repeat(1025) });
      expect(res.status).to.equal(413);
      expect(await res.text()).to.equal('Request body exceeds 1024 bytes');
      expect(await (await fetch(`${app.url}/count`)).text()).to.equal(before);
    });

    it('answers 413 when a chunked body grows over the limit, and does not count', async () => {
      const before = await (await fetch(`${app.url}/count`)).text();
      const res = await rawRequest(`${app.url}/inc`, {
        method: 'POST',
        headers: { 'Transfer-Encoding': 'chunked', Accept: 'application/json' },
        chunks: [Buffer.alloc(800, 'a'), Buffer.alloc(800, 'b')],
      });
      expect(res.status).to.equal(413);
      expect(JSON.parse(res.body)).to.deep.equal({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body exceeds 1024 bytes' } });
      expect(await (await fetch(`${app.url}/count`)).text()).to.equal(before);
    });

    it('honours MAX_BODY_BYTES', async () => {
      const strict = await startApp({ REDIS_URL: redis.url, MAX_BODY_BYTES: '0' });
      try {
        const res = await fetch(`${strict.url}/inc`, { method: 'POST', body: 'x' });
        expect(res.status).to.equal(413);
        expect(await res.text()).to.equal('Request body exceeds 0 bytes');
      } finally {
        await strict.close();
      }
    });
  });
});
