import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';
import { directClient } from '../helpers/app-server.js';
import { RawConnection, type RawResponse } from '../helpers/raw-http.js';

// The original is gin with its defaults: RedirectTrailingSlash on (301 for GET, 307 for other
// methods, to the path without the slash), RedirectFixedPath off (a path in other case is 404).
describe('routing as the original does it (dist/server.js, raw sockets)', () => {
  let redis: RedisServer;
  let direct: Redis;
  let service: ServiceProcess;
  const connections: RawConnection[] = [];
  before(async () => {
    redis = await startRedis({ persistent: false });
    direct = directClient(redis.url);
    service = await spawnService({ REDIS_URL: redis.url });
  });
  after(async () => {
    await service.stop('SIGKILL');
    direct.disconnect();
    await redis.dispose();
  });
  afterEach(() => {
    for (const connection of connections.splice(0)) connection.destroy();
  });
  beforeEach(async () => {
    await direct.del('count');
  });

  async function send(bytes: string): Promise<RawResponse | undefined> {
    const client = await RawConnection.open(service.port);
    connections.push(client);
    client.write(bytes);
    return (await client.responses(1))[0];
  }

  for (const path of ['/inc/', '/dec/']) {
    it(`answers POST ${path} with 307 to the path without the slash, and counts nothing`, async () => {
      const res = await send(`POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`);
      expect(res?.status).to.equal(307);
      expect(res?.headers.location).to.equal(path.slice(0, -1));
      expect(await direct.get('count')).to.equal(null);
    });
  }

  for (const path of ['/ok/', '/count/']) {
    it(`answers GET ${path} with 301 to the path without the slash`, async () => {
      const res = await send(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
      expect(res?.status).to.equal(301);
      expect(res?.headers.location).to.equal(path.slice(0, -1));
    });
  }

  it('keeps the query string in the redirect', async () => {
    const res = await send('GET /count/?a=1 HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(res?.headers.location).to.equal('/count?a=1');
  });

  for (const [method, path] of [['POST', '/INC'], ['POST', '/Dec'], ['GET', '/OK'], ['GET', '/Count']]) {
    it(`answers ${method} ${path} with 404 and counts nothing`, async () => {
      const res = await send(`${method} ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`);
      expect(res?.status).to.equal(404);
      expect(await direct.get('count')).to.equal(null);
    });
  }

  it('answers 413 at once to Expect: 100-continue with a body over MAX_BODY_BYTES, without 100 Continue', async () => {
    const res = await send('POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    expect(res?.status).to.equal(413);
    expect(await direct.get('count')).to.equal(null);
  });

  it('answers 100 Continue and then 200 to Expect: 100-continue with a small body', async () => {
    const client = await RawConnection.open(service.port);
    connections.push(client);
    client.write('POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    expect((await client.responses(1))[0]?.status).to.equal(100);
    client.write('ab');
    const answers = await client.responses(2);
    expect(answers[1]).to.deep.include({ status: 200, body: '1' });
  });

  it('answers a request line of HTTP/2.0 with 505, as Go does, and counts nothing', async () => {
    const res = await send('POST /inc HTTP/2.0\r\nHost: t\r\n\r\n');
    expect(res).to.deep.include({ status: 505, body: '505 HTTP Version Not Supported: unsupported protocol version' });
    expect(await direct.get('count')).to.equal(null);
  });

  it('answers a second Host header with 400, as Go does, and counts nothing', async () => {
    const res = await send('POST /inc HTTP/1.1\r\nHost: a\r\nhost: b\r\nContent-Length: 0\r\n\r\n');
    expect(res).to.deep.include({ status: 400, body: '400 Bad Request: too many Host headers' });
    expect(await direct.get('count')).to.equal(null);
  });

  it('marks text answers nosniff', async () => {
    for (const request of ['GET /ok HTTP/1.1\r\nHost: t\r\n\r\n', 'GET /nope HTTP/1.1\r\nHost: t\r\n\r\n']) {
      expect((await send(request))?.headers['x-content-type-options']).to.equal('nosniff');
    }
  });
});
